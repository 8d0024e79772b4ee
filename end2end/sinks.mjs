// Local stand-ins for a mail server and Slack, for the browser tests of alerts: an SMTP sink that
// accepts every message and an HTTP receiver for Slack incoming webhooks (POST /slack/...).
// GET /messages on the HTTP port returns everything received as JSON, so a test can wait for its
// message to arrive. Usage: node sinks.mjs <smtp-port> <http-port>
import net from "node:net";
import http from "node:http";

const [smtpPort, httpPort] = process.argv.slice(2).map(Number);
const emails = [];
const slack = [];

net
  .createServer((socket) => {
    socket.setEncoding("utf8");
    socket.write("220 sink ESMTP\r\n");
    let buffer = "";
    let inData = false;
    let rcpt = [];
    let text = "";
    socket.on("data", (chunk) => {
      buffer += chunk;
      let i;
      while ((i = buffer.indexOf("\r\n")) >= 0) {
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + 2);
        if (inData) {
          if (line === ".") {
            inData = false;
            // Long lines come quoted-printable: undo the soft breaks and `=3D`.
            if (text.includes("Content-Transfer-Encoding: quoted-printable")) text = text.replace(/=\n/g, "").replace(/=3D/g, "=");
            emails.push({ to: rcpt, text });
            rcpt = [];
            text = "";
            socket.write("250 OK queued\r\n");
          } else {
            text += line + "\n";
          }
          continue;
        }
        const upper = line.toUpperCase();
        if (upper.startsWith("EHLO") || upper.startsWith("HELO")) socket.write("250 sink\r\n");
        else if (upper.startsWith("RCPT TO:")) {
          rcpt.push(line.slice(8).trim().replace(/^<|>$/g, ""));
          socket.write("250 OK\r\n");
        } else if (upper.startsWith("DATA")) {
          inData = true;
          socket.write("354 go on\r\n");
        } else if (upper.startsWith("QUIT")) {
          socket.end("221 bye\r\n");
        } else socket.write("250 OK\r\n");
      }
    });
    socket.on("error", () => {});
  })
  .listen(smtpPort, "127.0.0.1");

http
  .createServer((req, res) => {
    if (req.method === "POST" && req.url.startsWith("/slack/")) {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        try {
          slack.push({ path: req.url, body: JSON.parse(body) });
        } catch {
          slack.push({ path: req.url, body: null });
        }
        res.end("ok");
      });
      return;
    }
    if (req.method === "GET" && req.url === "/messages") {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ emails, slack }));
      return;
    }
    res.statusCode = 404;
    res.end();
  })
  .listen(httpPort, "127.0.0.1");
