// The floor for any Node.js reverse proxy: node:http in, node:http with a keep-alive agent out, no
// checks, no logs. `node bench/bare-proxy.mjs UPSTREAM_PORT` prints the port it listens on.
import { Agent, createServer, request } from "node:http";

const upstreamPort = Number(process.argv[2]);
const agent = new Agent({ keepAlive: true, maxSockets: 64 });
const server = createServer((req, res) => {
  const up = request(
    { host: "127.0.0.1", port: upstreamPort, path: req.url, method: req.method, headers: req.headers, agent },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  up.on("error", () => {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
  req.pipe(up);
});
server.listen(0, "127.0.0.1", () => process.stdout.write(`${server.address().port}\n`));
