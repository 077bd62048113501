"""Pure values of the engine: events, states, resource requests, schedules. No I/O here."""
