// The event-stream reader against a loopback server that writes the stream in awkward
// pieces: CRLF and CR line ends, a line split across chunks, comments, multi-line data,
// text that is not JSON; and leaving a stream early closes its connection.
import assert from "node:assert/strict";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { FluxClient, type StreamEvent } from "@flux/client";

async function serving(write: (response: ServerResponse, closed: Promise<void>) => Promise<void>) {
  let closed!: () => void;
  const gone = new Promise<void>((resolve) => (closed = resolve));
  const server = createServer((request, response) => {
    request.socket.on("close", closed);
    response.writeHead(200, { "Content-Type": "text/event-stream" });
    void write(response, gone);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { client: new FluxClient({ baseUrl: url }), gone, close: () => server.close() };
}

const pause = () => new Promise((resolve) => setTimeout(resolve, 20));

test("events split over chunks and line-end styles are read whole, in order", async () => {
  const pieces = [
    ": a comment\r\n",
    'event: log\r\ndata: {"attempt": 1, "te',
    'xt": "a"}\r\n\r',
    "\nevent: log\rdata: first line\rdata: second line\r\r",
    'id: 7\nevent: end\ndata: {"state": "COMPLETED"}\n\n',
    "data: no event name, no blank line at the end",
  ];
  const { client, close } = await serving(async (response) => {
    for (const piece of pieces) {
      response.write(piece);
      await pause();
    }
    response.end();
  });
  try {
    const events: StreamEvent[] = await (await client.followJobLogs("job-1")).collect();
    assert.deepEqual(events, [
      { event: "log", data: { attempt: 1, text: "a" } },
      { event: "log", data: "first line\nsecond line" },
      { event: "end", data: { state: "COMPLETED" }, id: "7" },
      { event: "message", data: "no event name, no blank line at the end", id: "7" },
    ]);
  } finally {
    close();
  }
});

test(
  "leaving the loop early closes the connection; keepalives are not yielded",
  { timeout: 20_000 },
  async () => {
    const { client, gone, close } = await serving(async (response, closed) => {
      response.write("event: keepalive\ndata: {}\n\n");
      let open = true;
      void closed.then(() => (open = false));
      for (let n = 0; open && n < 500; n += 1) {
        response.write(`event: log\ndata: {"attempt": 1, "text": "${n}"}\n\n`);
        await pause();
      }
      response.end();
    });
    try {
      const seen: StreamEvent[] = [];
      for await (const event of await client.followJobLogs("job-1")) {
        seen.push(event);
        if (seen.length === 2) {
          break;
        }
      }
      assert.deepEqual(seen, [
        { event: "log", data: { attempt: 1, text: "0" } },
        { event: "log", data: { attempt: 1, text: "1" } },
      ]);
      await gone; // the server sees the connection closed (the test times out otherwise)
    } finally {
      close();
    }
  },
);
