// Each provider preset against the provider's own published example (where it publishes one; the
// source is cited at each), then the edges every preset must hold: another body, another secret,
// a stale timestamp, a missing header, several signatures during a key rotation.
import { createHash } from "node:crypto";
import Stripe from "stripe";
import { describe, expect, it } from "vitest";
import type { SignedRequest } from "@/server/webhooks/providers/kit";
import { type AuthMode, providers, verifyDelivery } from "@/server/webhooks/signature";

const request = (
  headers: Record<string, string>,
  body: string | Buffer,
  url = "https://baton.example.com/api/hooks/x",
): SignedRequest => ({
  headers,
  body: Buffer.from(body),
  url,
});
const verify = (
  mode: AuthMode,
  secret: string | string[],
  req: SignedRequest,
  options = {},
  nowMs?: number,
) => verifyDelivery(mode, Array.isArray(secret) ? secret : [secret], req, options, nowMs);

describe("GitHub", () => {
  // https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries#testing-the-webhook-payload-validation
  const secret = "It's a Secret to Everybody";
  const signature = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

  it("verifies GitHub's published example, and signs it the same", () => {
    expect(verify("github", secret, request({ "x-hub-signature-256": signature }, "Hello, World!"))).toEqual({
      ok: true,
    });
    expect(providers.github.sign(secret, { body: "Hello, World!" }, {})).toEqual({
      "x-hub-signature-256": signature,
    });
    expect(verify("github", secret, request({ "x-hub-signature-256": signature }, "Hello, World?")).ok).toBe(
      false,
    );
  });

  it("takes X-GitHub-Delivery as the idempotency key", () => {
    const req = request({ "x-github-delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958" }, "{}");
    expect(providers.github.idempotencyKey!(req, {})).toBe("72d3162e-cc78-11e3-81ab-4c9367dc0958");
  });
});

describe("Slack", () => {
  // https://api.slack.com/authentication/verifying-requests-from-slack (the worked example)
  const secret = "8f742231b10e8888abcd99yyyzzz85a5";
  const timestamp = "1531420618";
  const body =
    "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
  const signature = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
  const at = Number(timestamp) * 1000;
  const headers = { "x-slack-request-timestamp": timestamp, "x-slack-signature": signature };

  it("verifies Slack's published example at its time, and signs it the same", () => {
    expect(verify("slack", secret, request(headers, body), {}, at + 10_000)).toEqual({ ok: true });
    expect(providers.slack.sign(secret, { body, nowMs: at }, { toleranceSeconds: 300 })).toEqual(headers);
  });

  it("refuses it five minutes later (a replay), or with a tolerance the endpoint set shorter", () => {
    const late = verify("slack", secret, request(headers, body), {}, at + 301_000);
    expect(!late.ok && late.reason).toMatch(/X-Slack-Request-Timestamp is 301 s from now/);
    expect(verify("slack", secret, request(headers, body), { toleranceSeconds: 30 }, at + 60_000).ok).toBe(
      false,
    );
    expect(verify("slack", secret, request(headers, `${body}&x=1`), {}, at).ok).toBe(false);
  });

  it("answers the url_verification challenge, and reads event_id as the idempotency key", () => {
    const challenge = {
      token: "Jhj5dZrVaK7ZwHHjRyZWjbDl",
      challenge: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
      type: "url_verification",
    };
    expect(providers.slack.challenge!(challenge)).toEqual({
      status: 200,
      body: { challenge: challenge.challenge },
    });
    expect(providers.slack.challenge!({ type: "event_callback", event_id: "Ev0PV52K21" })).toBeUndefined();
    expect(
      providers.slack.idempotencyKey!(request({}, "{}"), { type: "event_callback", event_id: "Ev0PV52K21" }),
    ).toBe("Ev0PV52K21");
  });
});

describe("Standard Webhooks / Svix", () => {
  // standard-webhooks/standard-webhooks, libraries/javascript/src/webhook.test.ts ("sign function works")
  const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  const id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
  const timestamp = 1614265330;
  const body = '{"test": 2432232314}';
  const signature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
  const headers = {
    "webhook-id": id,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": signature,
  };
  const at = timestamp * 1000;

  it("verifies the specification's example, signs it the same, and reads Svix's branded headers", () => {
    expect(verify("standard", secret, request(headers, body), {}, at)).toEqual({ ok: true });
    expect(providers.standard.sign(secret, { body, nowMs: at, id }, { toleranceSeconds: 300 })).toEqual(
      headers,
    );
    const svix = { "svix-id": id, "svix-timestamp": String(timestamp), "svix-signature": signature };
    expect(verify("standard", secret, request(svix, body), {}, at)).toEqual({ ok: true });
    expect(verify("standard", secret.replace("whsec_", ""), request(headers, body), {}, at)).toEqual({
      ok: true,
    });
  });

  it("accepts any of several signatures (the sender rotating its key), refuses none matching", () => {
    const rotating = {
      ...headers,
      "webhook-signature": `v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v2,abc ${signature}`,
    };
    expect(verify("standard", secret, request(rotating, body), {}, at).ok).toBe(true);
    const wrong = { ...headers, "webhook-signature": "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=" };
    expect(verify("standard", secret, request(wrong, body), {}, at).ok).toBe(false);
    expect(verify("standard", secret, request(headers, body), {}, at + 301_000).ok).toBe(false);
    expect(
      verify("standard", secret, request({ ...headers, "webhook-id": "msg_other" }, body), {}, at).ok,
    ).toBe(false);
  });

  it("takes webhook-id as the idempotency key; refuses secrets that are not whsec_ base64 of 24 to 64 bytes", () => {
    expect(providers.standard.idempotencyKey!(request(headers, body), {})).toBe(id);
    expect(providers.standard.secretProblem(secret)).toBeUndefined();
    expect(providers.standard.secretProblem("whsec_not base64!")).toMatch(/base64/);
    expect(providers.standard.secretProblem("whsec_c2hvcnQ=")).toMatch(/24 to 64 key bytes/);
    expect(providers.standard.secretProblem(providers.standard.newSecret())).toBeUndefined();
  });
});

describe("Twilio", () => {
  // TwilioDevEd/api-snippets, security/signature_validation/signature_validation.2.x.js (Twilio's docs)
  const authToken = "12345";
  const url = "https://mycompany.com/myapp.php?foo=1&bar=2";
  const params = {
    CallSid: "CA1234567890ABCDE",
    Caller: "+14158675309",
    Digits: "1234",
    From: "+14158675309",
    To: "+18005551212",
  };
  const signature = "RSOYDt4T1cUTdK1PDd93/VVr8B8=";
  const form = new URLSearchParams(params).toString();
  const formHeaders = {
    "content-type": "application/x-www-form-urlencoded",
    "x-twilio-signature": signature,
  };

  it("verifies Twilio's published example (URL and sorted form parameters), in any parameter order", () => {
    expect(verify("twilio", authToken, request(formHeaders, form, url))).toEqual({ ok: true });
    const reordered = new URLSearchParams(Object.entries(params).reverse()).toString();
    expect(verify("twilio", authToken, request(formHeaders, reordered, url)).ok).toBe(true);
    expect(providers.twilio.sign(authToken, { body: form, url }, {})).toEqual({
      "x-twilio-signature": signature,
    });
  });

  it("refuses another URL, a changed parameter; takes the URL set in Twilio when behind a proxy", () => {
    expect(
      verify("twilio", authToken, request(formHeaders, form, "https://mycompany.com/myapp.php?foo=1")).ok,
    ).toBe(false);
    expect(verify("twilio", authToken, request(formHeaders, form.replace("1234", "9999"), url)).ok).toBe(
      false,
    );
    expect(
      verify("twilio", authToken, request(formHeaders, form, "http://internal:3000/x"), { url }).ok,
    ).toBe(true);
  });

  it("JSON bodies: the URL's bodySHA256 must be the body's hash, and the signature covers the URL", () => {
    const body = '{"event":"call.completed"}';
    const hashed = `https://baton.example.com/api/hooks/x?bodySHA256=${createHash("sha256").update(body).digest("hex")}`;
    const headers = {
      "content-type": "application/json",
      ...providers.twilio.sign(authToken, { body: "", url: hashed }, {}),
    };
    expect(verify("twilio", authToken, request(headers, body, hashed)).ok).toBe(true);
    expect(verify("twilio", authToken, request(headers, '{"event":"forged"}', hashed)).ok).toBe(false);
  });
});

describe("Stripe", () => {
  // Stripe publishes no fixed example; the official SDK (stripe-node) is the reference: what it
  // signs we accept, and what we sign it accepts.
  const secret = "whsec_test_secret";
  const payload = JSON.stringify({ id: "evt_test_webhook", object: "event" }, null, 2);
  const stripe = new Stripe("sk_test_unused");

  it("accepts what Stripe's SDK signs, and Stripe's SDK accepts what the preset signs", () => {
    const header = stripe.webhooks.generateTestHeaderString({ payload, secret });
    expect(verify("stripe", secret, request({ "stripe-signature": header }, payload))).toEqual({ ok: true });
    const ours = providers.stripe.sign(secret, { body: payload }, { toleranceSeconds: 300 })[
      "stripe-signature"
    ]!;
    expect(stripe.webhooks.constructEvent(payload, ours, secret).id).toBe("evt_test_webhook");
  });

  it("holds the tolerance (300 s by default, the endpoint's when set) and ignores v0", () => {
    const now = Date.now();
    const old = stripe.webhooks.generateTestHeaderString({
      payload,
      secret,
      timestamp: Math.floor(now / 1000) - 400,
    });
    expect(verify("stripe", secret, request({ "stripe-signature": old }, payload), {}, now).ok).toBe(false);
    expect(
      verify("stripe", secret, request({ "stripe-signature": old }, payload), { toleranceSeconds: 600 }, now)
        .ok,
    ).toBe(true);
    const v0 = stripe.webhooks.generateTestHeaderString({ payload, secret, scheme: "v0" });
    expect(verify("stripe", secret, request({ "stripe-signature": v0 }, payload)).ok).toBe(false);
  });

  it("accepts any of several v1 (Stripe rolling the secret) and takes the event id as the key", () => {
    const header = stripe.webhooks.generateTestHeaderString({ payload, secret });
    expect(
      verify("stripe", secret, request({ "stripe-signature": `${header},v1=${"0".repeat(64)}` }, payload)).ok,
    ).toBe(true);
    expect(providers.stripe.idempotencyKey!(request({}, payload), JSON.parse(payload))).toBe(
      "evt_test_webhook",
    );
  });
});

describe("Shopify", () => {
  // Shopify publishes no example vector. Its documented scheme: base64 of the HMAC-SHA256 of the
  // raw body under the app's client secret. Reference value computed apart from Baton, with
  // `printf '%s' "$BODY" | openssl dgst -sha256 -hmac "$SECRET" -binary | base64`.
  const secret = "shpss_example_client_secret";
  const body = '{"id":"1234","topic":"orders/create"}';
  const signature = "NEEELQgNUk0TRmqE1saeO+Ftm8Jci9UN6wh+ZzdeiRI=";

  it("verifies the base64 HMAC of the raw body, and takes X-Shopify-Webhook-Id as the key", () => {
    expect(verify("shopify", secret, request({ "x-shopify-hmac-sha256": signature }, body))).toEqual({
      ok: true,
    });
    expect(providers.shopify.sign(secret, { body }, {})).toEqual({ "x-shopify-hmac-sha256": signature });
    expect(verify("shopify", secret, request({ "x-shopify-hmac-sha256": signature }, `${body} `)).ok).toBe(
      false,
    );
    expect(
      providers.shopify.idempotencyKey!(
        request({ "x-shopify-webhook-id": "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043" }, body),
        {},
      ),
    ).toBe("b54557e4-bdd9-4b37-8a5f-bf7d70bcd043");
  });
});

describe("GitLab and tokens", () => {
  it("GitLab: X-Gitlab-Token equals the secret token", () => {
    expect(
      verify("gitlab", "glpat-like-secret", request({ "x-gitlab-token": "glpat-like-secret" }, "{}")),
    ).toEqual({ ok: true });
    expect(verify("gitlab", "glpat-like-secret", request({ "x-gitlab-token": "nope" }, "{}"))).toEqual({
      ok: false,
      reason: "wrong X-Gitlab-Token",
    });
    expect(verify("gitlab", "glpat-like-secret", request({}, "{}")).ok).toBe(false);
  });

  it("token: in a header of the endpoint's choosing", () => {
    const options = { header: "X-Webhook-Secret" };
    expect(
      verify("token", "s3cret-token", request({ "x-webhook-secret": "s3cret-token" }, "{}"), options).ok,
    ).toBe(true);
    expect(
      verify("token", "s3cret-token", request({ "x-baton-token": "s3cret-token" }, "{}"), options).ok,
    ).toBe(false);
  });
});

describe("HMAC of the body with a chosen header, algorithm and encoding", () => {
  it("configured as GitHub's scheme, verifies GitHub's published example", () => {
    const options = {
      header: "X-Hub-Signature-256",
      algorithm: "sha256",
      encoding: "hex",
      prefix: "sha256=",
    };
    const headers = {
      "x-hub-signature-256": "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
    };
    expect(
      verify("generic_hmac", "It's a Secret to Everybody", request(headers, "Hello, World!"), options),
    ).toEqual({ ok: true });
  });

  it("configured as Shopify's (base64), and with SHA-1 or SHA-512", () => {
    const shopify = { header: "X-Shopify-Hmac-Sha256", encoding: "base64" };
    const headers = { "x-shopify-hmac-sha256": "NEEELQgNUk0TRmqE1saeO+Ftm8Jci9UN6wh+ZzdeiRI=" };
    expect(
      verify(
        "generic_hmac",
        "shpss_example_client_secret",
        request(headers, '{"id":"1234","topic":"orders/create"}'),
        shopify,
      ).ok,
    ).toBe(true);
    for (const algorithm of ["sha1", "sha512"]) {
      const options = { header: "X-Signature", algorithm };
      const signed = providers.generic_hmac.sign("secret-value", { body: "{}" }, {
        header: "x-signature",
        algorithm,
        encoding: "hex",
        prefix: "",
      } as never);
      expect(verify("generic_hmac", "secret-value", request(signed, "{}"), options).ok, algorithm).toBe(true);
    }
  });

  it("says which option is wrong", () => {
    const verdict = verify("generic_hmac", "s", request({}, "{}"), { header: "X-Sig", algorithm: "md5" });
    expect(!verdict.ok && verdict.reason).toMatch(/authOptions are invalid/);
  });
});
