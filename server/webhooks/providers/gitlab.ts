// GitLab: the webhook's secret token, sent as it is in `X-Gitlab-Token` (GitLab does not sign the
// body). GitLab's `Idempotency-Key` header, the same across retries, is read like anyone's.
import { z } from "zod";
import { anyMatch, fail, ok, type Provider, plainSecretProblem, randomSecret, safeEqual } from "./kit";

export const gitlab: Provider<Record<string, never>> = {
  options: z.strictObject({}),
  newSecret: randomSecret,
  secretProblem: plainSecretProblem,
  verify({ headers }, secrets) {
    const given = headers["x-gitlab-token"];
    if (!given) return fail("no X-Gitlab-Token header");
    return anyMatch(secrets, (secret) => safeEqual(given, secret)) ? ok : fail("wrong X-Gitlab-Token");
  },
  sign: (secret) => ({ "x-gitlab-token": secret }),
};
