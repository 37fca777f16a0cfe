// The REST API served over HTTP on 127.0.0.1, as a client process reaches a running Baton
// (handleRest behind node:http, in the test's process and database). `throttleNext(n)` answers
// the next n API requests 429 with Retry-After: 1, as a Baton over its rate limit would.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { handleRest } from "@/server/rest/handler";

export async function startApiServer() {
  let throttled = 0;
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (throttled > 0) {
      throttled--;
      res.writeHead(429, { "content-type": "application/json", "retry-after": "1" });
      res.end(JSON.stringify({ error: { code: "TOO_MANY_REQUESTS", message: "slow down", problems: [] } }));
      return;
    }
    const url = `http://${req.headers.host}${req.url}`;
    const request = new Request(url, {
      method: req.method,
      headers: req.headers as Record<string, string>,
      body: chunks.length ? Buffer.concat(chunks) : undefined,
    });
    const response = await handleRest(request, new URL(url).pathname.replace(/^\/api\/v1/, ""));
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    throttleNext: (n: number) => {
      throttled = n;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
