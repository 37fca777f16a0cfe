// Password strength, judged offline by zxcvbn-ts: it estimates how many guesses a password takes
// against dictionaries of common passwords, names and English words that ship inside the package,
// patterns (dates, repeats, sequences, keyboard walks, l33t) and the user's own e-mail and name.
// We ask for score 3 ("safely unguessable": about 10^8 guesses or more) besides the length rule.
import { ZxcvbnFactory } from "@zxcvbn-ts/core";
import * as common from "@zxcvbn-ts/language-common";
import * as english from "@zxcvbn-ts/language-en";
import { AppError } from "@/server/errors";

const MIN_SCORE = 3;
let checker: ZxcvbnFactory | undefined;

/** Why `password` is too weak, in words for the person choosing it, or undefined when it will do. */
export function passwordWeakness(password: string, related: string[] = []): string | undefined {
  checker ??= new ZxcvbnFactory({
    dictionary: { ...common.dictionary, ...english.dictionary },
    graphs: common.adjacencyGraphs,
    translations: english.translations,
  });
  // The parts of an e-mail address and a name are the first guesses against their owner.
  const inputs = related
    .flatMap((text) => {
      const lower = text.toLowerCase();
      const local = lower.split("@")[0] ?? lower;
      return [lower, local, local.replace(/[^a-z0-9]+/g, ""), ...lower.split(/[^a-z0-9]+/)];
    })
    .filter(Boolean);
  const result = checker.check(password, inputs);
  if (result.score >= MIN_SCORE) return undefined;
  const { warning, suggestions } = result.feedback;
  return [
    "This password is too easy to guess.",
    warning,
    ...suggestions,
    "A few unrelated words make a strong one.",
  ]
    .filter(Boolean)
    .join(" ");
}

/** Throws BAD_REQUEST naming the field when the password is too weak. */
export function assertStrongPassword(password: string, related: string[], path = "password"): void {
  const weakness = passwordWeakness(password, related);
  if (weakness) throw new AppError("BAD_REQUEST", weakness, [{ path, message: weakness }]);
}
