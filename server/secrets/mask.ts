// Masking secret values in what runs write: log lines, error messages, outputs, deferred state,
// notifications. A value is replaced by `***` wherever it appears as itself or in the encodings
// text carries it in on its way out of a task:
//
//   raw                     s3cr/t+x y
//   JSON-escaped            as inside a JSON string (quotes and backslashes escaped), and that
//                           escaped again, up to four levels (JSON inside JSON strings)
//   URL-encoded             encodeURIComponent (upper- and lower-case hex), encodeURI, and form
//                           encoding (spaces as +)
//
// Values shorter than MIN_MASKED_LENGTH (3) are not masked: a 2-character secret would turn every
// occurrence of those characters in a log into *** and mask nothing worth hiding. What a task
// computes from a secret (its base64, a hash, a substring, the characters reversed) is not the
// secret's text and is not masked; docs/secrets.md says so.

export const MASK = "***";
export const MIN_MASKED_LENGTH = 3;

/** The forms of one value that are masked (see the module comment). */
export function maskedForms(value: string): string[] {
  const forms = new Set<string>([value]);
  // Escaped for JSON up to four times: a document inside a string inside a document (an echoed
  // request body quoted in an error message) escapes the same value again at every level.
  let escaped = value;
  for (let level = 0; level < 4; level++) {
    escaped = JSON.stringify(escaped).slice(1, -1);
    forms.add(escaped);
  }
  const component = encodeURIComponent(value);
  forms.add(component);
  forms.add(component.replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase()));
  forms.add(encodeURI(value));
  forms.add(new URLSearchParams({ v: value }).toString().slice(2));
  return [...forms];
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Masks the values it was built with; built once per attempt (or callback run), used many times. */
export class SecretMask {
  private readonly pattern: RegExp | undefined;

  constructor(values: Iterable<string>) {
    const forms = new Set<string>();
    for (const value of values) {
      if (typeof value !== "string" || value.length < MIN_MASKED_LENGTH) continue;
      for (const form of maskedForms(value)) forms.add(form);
    }
    // Longest first, so that a secret containing another is masked whole.
    const alternatives = [...forms].sort((a, b) => b.length - a.length).map(escapeRegExp);
    this.pattern = alternatives.length > 0 ? new RegExp(alternatives.join("|"), "g") : undefined;
  }

  /** True when there is nothing to mask (no secret reachable, or only short ones). */
  get empty(): boolean {
    return this.pattern === undefined;
  }

  text(text: string): string {
    if (!this.pattern) return text;
    return text.replace(this.pattern, MASK);
  }

  /**
   * A JSON-like value with every string (keys included) masked; a number or boolean whose text holds
   * a secret becomes the mask itself. Shared and cyclic parts are masked once and kept shared.
   */
  value<T>(value: T): T {
    if (!this.pattern) return value;
    return this.walk(value, new Map()) as T;
  }

  private walk(value: unknown, seen: Map<object, unknown>): unknown {
    if (typeof value === "string") return this.text(value);
    if (typeof value === "number" || typeof value === "bigint" || typeof value === "boolean") {
      const text = String(value);
      return this.text(text) === text ? value : MASK;
    }
    if (value === null || typeof value !== "object") return value;
    const done = seen.get(value);
    if (done !== undefined) return done;
    if (Array.isArray(value)) {
      const copy: unknown[] = [];
      seen.set(value, copy);
      for (const item of value) copy.push(this.walk(item, seen));
      return copy;
    }
    const prototype = Object.getPrototypeOf(value);
    if (prototype !== Object.prototype && prototype !== null) return value; // dates and the like
    const copy: Record<string, unknown> = {};
    seen.set(value, copy);
    for (const [key, child] of Object.entries(value)) {
      Object.defineProperty(copy, this.text(key), {
        value: this.walk(child, seen),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return copy;
  }
}
