// A small but real OpenID Connect provider for tests: discovery, JWKS, the authorization endpoint
// (it signs in as `issuer.person`, the way a provider whose user is already signed in answers at
// once), and the token endpoint (client_secret_basic or _post, PKCE S256, RS256 ID tokens signed
// with jose). openid-client checks everything it answers exactly as it would a hosted provider's.
import { createHash, randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, type KeyLike, SignJWT } from "jose";

export interface Person {
  sub: string;
  email: string;
  name?: string;
  groups?: string[];
}

export interface TestIssuer {
  url: string;
  clientId: string;
  clientSecret: string;
  /** Who the provider says is signing in. */
  person: Person;
  close(): Promise<void>;
}

export async function startIssuer(clientId = "baton", clientSecret = "s3cret-value"): Promise<TestIssuer> {
  const { publicKey, privateKey } = await generateKeyPair("RS256");
  const jwk = { ...(await exportJWK(publicKey)), kid: "test-key", alg: "RS256", use: "sig" };
  const codes = new Map<
    string,
    { person: Person; nonce?: string; challenge?: string; redirectUri: string }
  >();
  let url = "";
  const issuer: TestIssuer = {
    url: "",
    clientId,
    clientSecret,
    person: { sub: "nobody", email: "nobody@example.com" },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server: Server = createServer(async (request, response) => {
    const at = new URL(request.url ?? "/", url);
    const json = (status: number, body: unknown) => {
      response.writeHead(status, { "content-type": "application/json" });
      response.end(JSON.stringify(body));
    };
    if (at.pathname === "/.well-known/openid-configuration") {
      return json(200, {
        issuer: url,
        authorization_endpoint: `${url}/authorize`,
        token_endpoint: `${url}/token`,
        jwks_uri: `${url}/jwks`,
        response_types_supported: ["code"],
        subject_types_supported: ["public"],
        id_token_signing_alg_values_supported: ["RS256"],
        token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post"],
        code_challenge_methods_supported: ["S256"],
      });
    }
    if (at.pathname === "/jwks") return json(200, { keys: [jwk] });
    if (at.pathname === "/authorize") {
      const redirectUri = at.searchParams.get("redirect_uri") ?? "";
      if (at.searchParams.get("client_id") !== clientId) return json(400, { error: "unauthorized_client" });
      const code = randomBytes(16).toString("hex");
      codes.set(code, {
        person: { ...issuer.person },
        nonce: at.searchParams.get("nonce") ?? undefined,
        challenge: at.searchParams.get("code_challenge") ?? undefined,
        redirectUri,
      });
      const back = new URL(redirectUri);
      back.searchParams.set("code", code);
      back.searchParams.set("state", at.searchParams.get("state") ?? "");
      response.writeHead(302, { location: back.toString() });
      return response.end();
    }
    if (at.pathname === "/token" && request.method === "POST") {
      let body = "";
      for await (const chunk of request) body += chunk;
      const form = new URLSearchParams(body);
      const basic = request.headers.authorization?.match(/^Basic (.+)$/)?.[1];
      const [id, secret] = basic
        ? Buffer.from(basic, "base64").toString().split(":").map(decodeURIComponent)
        : [form.get("client_id"), form.get("client_secret")];
      if (id !== clientId || secret !== clientSecret) return json(401, { error: "invalid_client" });
      const grant = codes.get(form.get("code") ?? "");
      codes.delete(form.get("code") ?? "");
      if (!grant || grant.redirectUri !== form.get("redirect_uri"))
        return json(400, { error: "invalid_grant" });
      const verifier = form.get("code_verifier") ?? "";
      if (grant.challenge && createHash("sha256").update(verifier).digest("base64url") !== grant.challenge) {
        return json(400, { error: "invalid_grant", error_description: "PKCE verification failed" });
      }
      const idToken = await sign(privateKey, {
        iss: url,
        aud: clientId,
        sub: grant.person.sub,
        email: grant.person.email,
        name: grant.person.name ?? grant.person.email,
        groups: grant.person.groups ?? [],
        ...(grant.nonce ? { nonce: grant.nonce } : {}),
      });
      return json(200, {
        access_token: randomBytes(16).toString("hex"),
        token_type: "Bearer",
        expires_in: 300,
        id_token: idToken,
      });
    }
    json(404, { error: "not_found" });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  issuer.url = url;
  return issuer;
}

function sign(key: KeyLike, claims: Record<string, unknown>) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "RS256", kid: "test-key" })
    .setIssuedAt()
    .setExpirationTime("5m")
    .sign(key);
}
