// A shared secret sent as it is: `X-Baton-Token: <secret>` or `Authorization: Bearer <secret>`,
// or in a header of the endpoint's choosing. Simplest; use it only over HTTPS.
import { z } from "zod";
import { anyMatch, fail, ok, type Provider, plainSecretProblem, randomSecret, safeEqual } from "./kit";

export const headerName = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/, "Not an HTTP header name")
  .transform((name) => name.toLowerCase());

const options = z.strictObject({ header: headerName.optional() });

export const token: Provider<z.output<typeof options>> = {
  options,
  newSecret: randomSecret,
  secretProblem: plainSecretProblem,
  verify({ headers }, secrets, { header }) {
    const bearer = /^Bearer\s+(.+)$/i.exec(headers.authorization ?? "")?.[1]?.trim();
    const given = header ? headers[header] : (headers["x-baton-token"] ?? bearer);
    if (!given)
      return fail(header ? `no ${header} header` : "no X-Baton-Token (or Authorization: Bearer) header");
    return anyMatch(secrets, (secret) => safeEqual(given, secret)) ? ok : fail("wrong token");
  },
  sign: (secret, _request, { header }) => ({ [header ?? "x-baton-token"]: secret }),
};
