// A web process delivering webhooks, for tests that kill it mid-request:
// `node --import tsx test/support/webhook-sender-process.ts` with DATABASE_URL, BATON_MASTER_KEYS,
// HOOK_ID, HOOK_SECRET and KEYS (how many idempotency keys, k0…) set. It delivers each key once,
// eight at a time, through the public route handler, and is meant to be killed before it ends.
import { receiveWebhook } from "@/server/webhooks/receive";
import { signBody } from "@/server/webhooks/signature";

const id = process.env.HOOK_ID!;
const secret = process.env.HOOK_SECRET!;
const keys = Number(process.env.KEYS);
let next = 0;
process.stdout.write("ready\n");
await Promise.all(
  Array.from({ length: 8 }, async () => {
    while (next < keys) {
      const key = `k${next++}`;
      const body = JSON.stringify({ ref: key });
      await receiveWebhook(
        new Request(`http://hooks.example.com/api/hooks/${id}`, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "x-baton-signature": signBody(secret, body),
            "idempotency-key": key,
          },
          body,
        }),
        id,
      );
    }
  }),
);
process.stdout.write("done\n");
