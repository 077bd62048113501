// Server-sent events read from a fetch response body: the server's streams (a run's state
// changes, a job's output) as an async iterator of `{ event, data }`, with `data` decoded
// from JSON. Written here rather than taken from a package: the client has no dependencies.

/** One server-sent event; `data` is its JSON payload (the raw text when it is not JSON). */
export interface StreamEvent {
  event: string;
  data: unknown;
  id?: string;
}

/** The events of one stream, in order; ends when the server closes it (a run that ended or
 * paused, a job that finished). Iterate with `for await`; leaving the loop early, or
 * `close()`, closes the connection. */
export class EventStream<T extends StreamEvent = StreamEvent> implements AsyncIterable<T> {
  readonly #events: AsyncGenerator<StreamEvent, void, undefined>;
  readonly #abort: () => void;
  readonly #skip: ReadonlySet<string>;

  /** @internal The client makes these; `skip` names transport-only events (keepalives). */
  constructor(
    body: ReadableStream<Uint8Array>,
    abort: () => void,
    onError: (error: unknown) => Error,
    skip: readonly string[] = [],
  ) {
    this.#events = parseEvents(body, onError);
    this.#abort = abort;
    this.#skip = new Set(skip);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    try {
      for await (const event of this.#events) {
        if (!this.#skip.has(event.event)) {
          yield event as T;
        }
      }
    } finally {
      await this.#events.return(undefined);
      this.close();
    }
  }

  /** Every remaining event, once the server has closed the stream. */
  async collect(): Promise<T[]> {
    const events: T[] = [];
    for await (const event of this) {
      events.push(event);
    }
    return events;
  }

  close(): void {
    this.#abort();
  }
}

async function* parseEvents(
  body: ReadableStream<Uint8Array>,
  onError: (error: unknown) => Error,
): AsyncGenerator<StreamEvent, void, undefined> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let fields = new Fields();
  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (error) {
        throw onError(error);
      }
      buffer += chunk.done ? decoder.decode() : decoder.decode(chunk.value, { stream: true });
      // A line ends at \n, \r\n or \r; a trailing \r may be half of a \r\n still to come.
      let end: number;
      while ((end = lineEnd(buffer, chunk.done)) >= 0) {
        const line = buffer.slice(0, end);
        const skip = buffer[end] === "\r" && buffer[end + 1] === "\n" ? 2 : 1;
        buffer = buffer.slice(end + skip);
        if (line === "") {
          const event = fields.event();
          if (event !== undefined) {
            yield event;
          }
          fields = new Fields(fields.id);
        } else {
          fields.add(line);
        }
      }
      if (chunk.done) {
        if (buffer !== "") {
          fields.add(buffer);
        }
        const event = fields.event();
        if (event !== undefined) {
          yield event;
        }
        return;
      }
    }
  } finally {
    reader.cancel().catch(() => undefined);
  }
}

function lineEnd(buffer: string, done: boolean): number {
  const newline = buffer.indexOf("\n");
  const carriage = buffer.indexOf("\r");
  if (carriage >= 0 && (newline < 0 || carriage < newline)) {
    if (carriage === buffer.length - 1 && !done) {
      return -1;
    }
    return carriage;
  }
  return newline;
}

/** The fields of the event being read (WHATWG syntax: `field: value`, `:` starts a comment). */
class Fields {
  #name = "message";
  #data: string[] = [];
  id: string | undefined;

  constructor(id?: string) {
    this.id = id;
  }

  add(line: string): void {
    const colon = line.indexOf(":");
    if (colon === 0) {
      return;
    }
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) {
      value = value.slice(1);
    }
    if (field === "event") {
      this.#name = value;
    } else if (field === "data") {
      this.#data.push(value);
    } else if (field === "id") {
      this.id = value;
    }
  }

  event(): StreamEvent | undefined {
    if (this.#data.length === 0) {
      return undefined;
    }
    const text = this.#data.join("\n");
    const event: StreamEvent = { event: this.#name, data: decode(text) };
    if (this.id !== undefined) {
      event.id = this.id;
    }
    return event;
  }
}

function decode(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
