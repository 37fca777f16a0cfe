// A minimal SMTP server for tests: accepts every message on 127.0.0.1 and keeps it in memory.
// It speaks just enough of RFC 5321 for nodemailer (EHLO without STARTTLS, MAIL, RCPT, DATA,
// RSET, NOOP, QUIT, and AUTH PLAIN/LOGIN accepting any credentials).
import net from "node:net";

export interface CapturedMail {
  from: string;
  to: string[];
  /** The message as sent: headers, a blank line, the body (dot-stuffing undone). */
  data: string;
  /** The user name of AUTH, when the client authenticated. */
  user?: string;
}

export interface SmtpSink {
  port: number;
  messages: CapturedMail[];
  /** Resolves when `count` messages have arrived. */
  waitFor(count: number, timeoutMs?: number): Promise<CapturedMail[]>;
  close(): Promise<void>;
}

export async function startSmtpSink(): Promise<SmtpSink> {
  const messages: CapturedMail[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    socket.setEncoding("utf8");
    const reply = (line: string) => socket.write(`${line}\r\n`);
    let buffer = "";
    let mail: CapturedMail = { from: "", to: [], data: "" };
    let mode: "command" | "data" | "auth-user" | "auth-pass" = "command";
    let user: string | undefined;
    reply("220 localhost test sink");
    socket.on("data", (chunk: string) => {
      buffer += chunk;
      for (;;) {
        if (mode === "data") {
          const end = buffer.indexOf("\r\n.\r\n");
          if (end === -1) return;
          mail.data = buffer.slice(0, end).replace(/^\.\./gm, ".");
          buffer = buffer.slice(end + 5);
          messages.push({ ...mail, ...(user ? { user } : {}) });
          mail = { from: "", to: [], data: "" };
          mode = "command";
          reply("250 2.0.0 queued");
          continue;
        }
        const newline = buffer.indexOf("\r\n");
        if (newline === -1) return;
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 2);
        if (mode === "auth-user") {
          user = Buffer.from(line, "base64").toString("utf8");
          mode = "auth-pass";
          reply("334 UGFzc3dvcmQ6");
          continue;
        }
        if (mode === "auth-pass") {
          mode = "command";
          reply("235 2.7.0 accepted");
          continue;
        }
        const [verb = "", ...rest] = line.split(" ");
        const argument = rest.join(" ");
        switch (verb.toUpperCase()) {
          case "EHLO":
            socket.write("250-localhost\r\n250-AUTH PLAIN LOGIN\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n");
            break;
          case "HELO":
            reply("250 localhost");
            break;
          case "AUTH": {
            const [method = "", initial] = argument.split(" ");
            if (method.toUpperCase() === "PLAIN" && initial) {
              user = Buffer.from(initial, "base64").toString("utf8").split("\0")[1];
              reply("235 2.7.0 accepted");
            } else if (method.toUpperCase() === "LOGIN") {
              mode = "auth-user";
              reply("334 VXNlcm5hbWU6");
            } else reply("504 unsupported");
            break;
          }
          case "MAIL":
            mail.from = /<([^>]*)>/.exec(argument)?.[1] ?? "";
            reply("250 2.1.0 ok");
            break;
          case "RCPT":
            mail.to.push(/<([^>]*)>/.exec(argument)?.[1] ?? "");
            reply("250 2.1.5 ok");
            break;
          case "DATA":
            mode = "data";
            reply("354 end with <CRLF>.<CRLF>");
            break;
          case "RSET":
            mail = { from: "", to: [], data: "" };
            reply("250 ok");
            break;
          case "NOOP":
            reply("250 ok");
            break;
          case "QUIT":
            reply("221 bye");
            socket.end();
            return;
          default:
            reply("502 command not implemented");
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    messages,
    async waitFor(count, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (messages.length < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} message(s), got ${messages.length}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return messages;
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
