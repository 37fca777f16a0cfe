// OpenTelemetry traces, when OTEL_EXPORTER_OTLP_ENDPOINT is set; off by default. Off, the SDK (imported
// lazily) is never loaded and every span below is the API's no-op. On, one trace
// follows the work a request started across processes:
//
//   web request (`POST /api/v1/[...path]`, observed() in http.ts, SERVER)
//     └ baton.run: the run it created (server/engine/traces.ts), its traceparent kept on the run
//         └ baton.attempt: each attempt of the run's tasks, on whichever worker runs it
//
// A run made without a request (a schedule tick, a webhook delivery a worker turns into a run)
// starts a trace of its own. An incoming `traceparent` header continues the caller's trace.
// Spans are exported in batches over OTLP/HTTP (JSON) to `<endpoint>/v1/traces`.
import {
  type Context,
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  type SpanOptions,
  SpanStatusCode,
  trace,
} from "@opentelemetry/api";
import { env } from "@/server/config";
import { currentContext } from "./context";
import { log } from "./logger";

export const tracer = trace.getTracer("baton");

interface Provider {
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

/**
 * This process's tracing, on globalThis: Next.js loads instrumentation.ts (which starts it) and
 * each route in bundles of their own, each with its own copy of this module.
 */
const state = globalThis as typeof globalThis & {
  __batonTracing?: { starting?: Promise<Provider | undefined>; provider?: Provider };
};
state.__batonTracing ??= {};
const tracing = state.__batonTracing;

/** Whether this process records spans (tracing started with an endpoint set). */
export function tracingEnabled(): boolean {
  return tracing.provider !== undefined;
}

/**
 * Starts tracing for this process when OTEL_EXPORTER_OTLP_ENDPOINT is set (once; later calls
 * wait for the first). Should the SDK packages be missing, it says so in one line and stays off.
 */
export function startTracing(kind: "web" | "worker"): Promise<void> {
  tracing.starting ??= start(kind);
  return tracing.starting.then(() => {});
}

async function start(kind: "web" | "worker"): Promise<Provider | undefined> {
  const endpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!endpoint) return undefined;
  let sdk: [
    typeof import("@opentelemetry/sdk-trace"),
    typeof import("@opentelemetry/exporter-trace-otlp-http"),
    typeof import("@opentelemetry/resources"),
    typeof import("@opentelemetry/context-async-hooks"),
    typeof import("@opentelemetry/core"),
  ];
  try {
    sdk = await Promise.all([
      import("@opentelemetry/sdk-trace"),
      import("@opentelemetry/exporter-trace-otlp-http"),
      import("@opentelemetry/resources"),
      import("@opentelemetry/context-async-hooks"),
      import("@opentelemetry/core"),
    ]);
  } catch (error) {
    log.warn(
      { err: error },
      "OTEL_EXPORTER_OTLP_ENDPOINT is set but the OpenTelemetry SDK is not installed: no traces; run `npm install`",
    );
    return undefined;
  }
  const [{ TracerProvider, BatchSpanProcessor }, { OTLPTraceExporter }, resources, hooks, core] = sdk;
  const exporter = new OTLPTraceExporter({
    url: `${endpoint.replace(/\/+$/, "")}/v1/traces`,
    headers: parseHeaders(env.OTEL_EXPORTER_OTLP_HEADERS),
  });
  const started = new TracerProvider({
    resource: resources.resourceFromAttributes({
      "service.name": env.OTEL_SERVICE_NAME ?? `baton-${kind}`,
      "service.namespace": "baton",
    }),
    spanProcessors: [new BatchSpanProcessor({ exporter, scheduledDelayMillis: 1_000 })],
  });
  context.setGlobalContextManager(new hooks.AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new core.W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(started);
  tracing.provider = started;
  log.info({ endpoint }, "OpenTelemetry tracing on");
  return started;
}

/** OTEL_EXPORTER_OTLP_HEADERS: `key=value,key2=value2`, values URL-encoded as the specification says. */
export function parseHeaders(value: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const pair of value?.split(",") ?? []) {
    const at = pair.indexOf("=");
    if (at <= 0) continue;
    headers[pair.slice(0, at).trim()] = decodeURIComponent(pair.slice(at + 1).trim());
  }
  return headers;
}

/** Sends the spans recorded so far (a test, or a process about to exit). */
export async function flushTracing(): Promise<void> {
  await tracing.provider?.forceFlush();
}

/** Sends what is left and stops recording (a process stopping). */
export async function stopTracing(): Promise<void> {
  const stopping = tracing.provider;
  tracing.provider = undefined;
  tracing.starting = undefined;
  await stopping
    ?.shutdown()
    .catch((error: Error) => log.warn({ err: error }, "could not send the last spans"));
}

/** The traceparent of a span, to continue its trace elsewhere (another process, a later job). */
export function traceparentOf(span: Span): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(trace.setSpan(ROOT_CONTEXT, span), carrier);
  return carrier.traceparent;
}

/** The context a traceparent continues (the root one when there is none). */
export function contextOf(traceparent: string | null | undefined): Context {
  return traceparent ? propagation.extract(ROOT_CONTEXT, { traceparent }) : ROOT_CONTEXT;
}

/**
 * Runs `fn` in a new active span (its children see it) and ends the span when `fn` settles; an
 * error thrown marks the span failed. With tracing off, runs `fn` alone.
 */
export function inSpan<T>(
  name: string,
  options: SpanOptions & { parent?: Context },
  fn: (span: Span | undefined) => Promise<T>,
): Promise<T> {
  if (!tracing.provider) return fn(undefined);
  const { parent, ...spanOptions } = options;
  return tracer.startActiveSpan(name, spanOptions, parent ?? context.active(), async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      throw error;
    } finally {
      span.end();
    }
  });
}

/** A web request's span (SERVER), continuing the caller's trace when it sent a `traceparent`. */
export function inRequestSpan(
  request: Request,
  route: string,
  fn: () => Promise<Response>,
): Promise<Response> {
  if (!tracing.provider) return fn();
  // Under `next start`, Next.js's own span of the request is already active (SERVER, continuing
  // the caller's traceparent): ours is its child. Elsewhere ours is the request's SERVER span.
  const served = trace.getActiveSpan() !== undefined;
  const parent = served
    ? context.active()
    : propagation.extract(context.active(), {
        traceparent: request.headers.get("traceparent") ?? undefined,
        tracestate: request.headers.get("tracestate") ?? undefined,
      });
  const options = {
    kind: served ? SpanKind.INTERNAL : SpanKind.SERVER,
    parent,
    attributes: {
      "http.request.method": request.method,
      "http.route": route,
      "baton.request_id": currentContext().requestId ?? "",
    },
  };
  return inSpan(`${request.method} ${route}`, options, async (span) => {
    const response = await fn();
    span?.setAttribute("http.response.status_code", response.status);
    if (response.status >= 500) span?.setStatus({ code: SpanStatusCode.ERROR });
    return response;
  });
}
