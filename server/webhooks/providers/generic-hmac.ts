// Any sender that signs the raw body with an HMAC into a header: the header, the algorithm
// (SHA-1, SHA-256, SHA-512), the encoding (hex or base64) and an optional prefix (`sha256=`) are
// the endpoint's options.
import { z } from "zod";
import { anySigned, fail, hmac, ok, type Provider, plainSecretProblem, randomSecret } from "./kit";
import { headerName } from "./token";

const options = z.strictObject({
  header: headerName,
  algorithm: z.enum(["sha1", "sha256", "sha512"]).default("sha256"),
  encoding: z.enum(["hex", "base64"]).default("hex"),
  prefix: z.string().max(40, "At most 40 characters").default(""),
});

type Options = z.output<typeof options>;

const signature = (secret: string, body: Buffer | string, o: Options) =>
  `${o.prefix}${hmac(o.algorithm, secret, body, o.encoding)}`;

export const genericHmac: Provider<Options> = {
  options,
  newSecret: randomSecret,
  secretProblem: plainSecretProblem,
  verify({ headers, body }, secrets, o) {
    const given = headers[o.header]?.trim();
    if (!given) return fail(`no ${o.header} header`);
    // Hex is compared without regard to case; base64 exactly.
    const normal = (s: string) => (o.encoding === "hex" ? s.toLowerCase() : s);
    return anySigned(secrets, [normal(given)], (secret) => normal(signature(secret, body, o)))
      ? ok
      : fail(`${o.header} does not match the body`);
  },
  sign: (secret, { body }, o) => ({ [o.header]: signature(secret, Buffer.from(body), o) }),
};
