// The typed client of Baton's REST API: openapi-fetch over the types generated from the OpenAPI
// document (openapi.gen.ts, `npm run api:client`), so a call the document does not describe does
// not compile. The CLI's REST commands and the REST integration tests use it. It depends on
// nothing of the server: it runs wherever fetch does.
//
// Rate limits: a 429 is retried after its Retry-After (a few times, each wait bounded), so a
// script that goes too fast slows down instead of failing.
import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "./openapi.gen";

export type { components, paths };
export type Schemas = components["schemas"];
export type Problem = Schemas["Problem"];
export type BatonClient = ReturnType<typeof createClient<paths>>;

export interface ClientOptions {
  /** The Baton's address, e.g. https://baton.example.com (without /api/v1). */
  url: string;
  token: string;
  /** Sends the requests (default: global fetch); tests answer in-process. */
  fetch?: (request: Request) => Promise<Response>;
  /** Told before waiting out a 429: the seconds it waits. */
  onRateLimited?: (seconds: number) => void;
  /** How many 429s in a row are waited out before the error is returned (default 5). */
  maxRetries?: number;
  /** The longest single wait, in seconds (default 60). */
  maxWaitSeconds?: number;
  middleware?: Middleware[];
}

export function createBatonClient(options: ClientOptions): BatonClient {
  const send = options.fetch ?? ((request: Request) => fetch(request));
  const maxRetries = options.maxRetries ?? 5;
  const maxWait = options.maxWaitSeconds ?? 60;
  const client = createClient<paths>({
    baseUrl: `${options.url.replace(/\/+$/, "")}/api/v1`,
    headers: { authorization: `Bearer ${options.token}` },
    fetch: async (request) => {
      for (let attempt = 0; ; attempt++) {
        const response = await send(request.clone());
        if (response.status !== 429 || attempt >= maxRetries) return response;
        const seconds = Math.min(maxWait, Math.max(1, Number(response.headers.get("retry-after")) || 1));
        await response.body?.cancel();
        options.onRateLimited?.(seconds);
        await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
      }
    },
  });
  for (const middleware of options.middleware ?? []) client.use(middleware);
  return client;
}

/** An error answer of the API: its status, code, message and the problems with their field paths. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly problems: Problem[] = [],
  ) {
    super(message);
    this.name = "ApiError";
  }

  /** The message with each problem on its own line, `path: message`. */
  describe(): string {
    return [this.message, ...this.problems.map((p) => `  ${p.path || "(document)"}: ${p.message}`)].join(
      "\n",
    );
  }
}

/** The data of a call, or its error as an ApiError. */
export async function unwrap<T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<Exclude<T, undefined>> {
  const { data, error, response } = await call;
  if (response.ok) return data as Exclude<T, undefined>;
  const body = (error ?? {}) as { error?: { code?: string; message?: string; problems?: Problem[] } };
  throw new ApiError(
    response.status,
    body.error?.code ?? `HTTP_${response.status}`,
    body.error?.message ?? `${response.status} ${response.statusText}`.trim(),
    body.error?.problems ?? [],
  );
}
