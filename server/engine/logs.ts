// Task logs: lines captured while an attempt runs, written to PostgreSQL in chunks (a few per
// second, not a row per line), capped per attempt with a marker, secrets masked on the way in, NUL
// and lone surrogates escaped (storable.ts).

import { log } from "@/server/observability/logger";
import type { TaskLogger } from "@/server/operators/execution";
import type { SecretMask } from "@/server/secrets/mask";
import { sql } from "./sql";
import { storableText } from "./storable";

const FLUSH_MS = 250;
const FLUSH_BYTES = 32_768;

export class AttemptLog implements TaskLogger {
  private buffer: string[] = [];
  private bufferedBytes = 0;
  private written = 0;
  private capped = false;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly workspaceId: string,
    private readonly attemptId: string,
    private readonly capBytes: number,
    private readonly mask?: SecretMask,
  ) {}

  info(line: string) {
    this.write("INFO", line);
  }
  warn(line: string) {
    this.write("WARN", line);
  }
  error(line: string) {
    this.write("ERROR", line);
  }

  private write(level: string, line: string) {
    if (this.capped) return;
    const text = `${new Date().toISOString()} ${level} ${storableText(this.mask ? this.mask.text(line) : line)}\n`;
    const bytes = Buffer.byteLength(text);
    if (this.written + this.bufferedBytes + bytes > this.capBytes) {
      this.capped = true;
      this.buffer.push(
        `… log cut: this attempt reached its limit of ${this.capBytes} bytes (plan quota maxLogBytesPerAttempt); later lines were dropped\n`,
      );
    } else {
      this.buffer.push(text);
      this.bufferedBytes += bytes;
    }
    if (this.bufferedBytes >= FLUSH_BYTES || this.capped) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), FLUSH_MS);
  }

  /**
   * Takes what is still buffered for the attempt's completion to store in its own transaction (one
   * round trip less per task), once every earlier write is stored.
   */
  async rest(): Promise<LogChunk | null> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.flushing;
    if (this.buffer.length === 0) return null;
    const chunk = { text: this.buffer.join(""), bytes: this.bufferedBytes };
    this.buffer = [];
    this.bufferedBytes = 0;
    this.written += chunk.bytes;
    return chunk;
  }

  /** Writes what is buffered; resolves when every earlier write is stored. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.buffer.length === 0) return this.flushing;
    const text = this.buffer.join("");
    const bytes = this.bufferedBytes;
    this.buffer = [];
    this.bufferedBytes = 0;
    this.written += bytes;
    this.flushing = this.flushing.then(() =>
      storeLogChunk(this.workspaceId, this.attemptId, { text, bytes }),
    );
    return this.flushing;
  }
}

export interface LogChunk {
  text: string;
  bytes: number;
}

/** Appends a chunk to an attempt's log; a failure is reported, never thrown at the task. */
export async function storeLogChunk(workspaceId: string, attemptId: string, chunk: LogChunk): Promise<void> {
  await sql
    .query(
      `WITH log AS (INSERT INTO "TaskLog" ("workspaceId", "attemptId", text) VALUES ($1, $2, $3) RETURNING 1)
       UPDATE "TaskAttempt" SET "logBytes" = "logBytes" + $4 WHERE id = $2 AND "workspaceId" = $1`,
      [workspaceId, attemptId, chunk.text, chunk.bytes],
    )
    .then(
      () => {},
      (error: Error) => log.error({ err: error }, "could not store task log"),
    );
}
