"""Values to bytes and back: the one seam every stored value goes through."""

from flux.codec.references import OutputRef, OutputSink
from flux.codec.serializers import Codec, JsonSerializer, PickleSerializer, Serializer

__all__ = ["Codec", "JsonSerializer", "OutputRef", "OutputSink", "PickleSerializer", "Serializer"]
