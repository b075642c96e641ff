import type { ZxcvbnFactory } from '@zxcvbn-ts/core';

/**
 * zxcvbn's score runs 0–4. 3 means about 10^10 guesses or more: beyond an online attack (which the
 * sign-in limits stop anyway) and costly offline against argon2id hashes, should they ever leak.
 * 2 (10^8) falls to a single GPU in days against a leaked hash.
 */
const MIN_SCORE = 3;

/** The estimator with its dictionaries (a few MB): built on the first new password, then kept. */
let estimator: Promise<ZxcvbnFactory> | undefined;
function loadEstimator(): Promise<ZxcvbnFactory> {
  estimator ??= Promise.all([import('@zxcvbn-ts/core'), import('@zxcvbn-ts/language-common'), import('@zxcvbn-ts/language-en')]).then(
    ([core, common, en]) =>
      new core.ZxcvbnFactory({
        translations: en.translations,
        graphs: common.adjacencyGraphs,
        dictionary: { ...common.dictionary, ...en.dictionary },
      }),
  );
  return estimator;
}

/**
 * Why a new password is too weak, in words for the person choosing it, or null when it will do.
 * `userInputs` are what an attacker knows of the account (its email, its name).
 */
export async function passwordProblem(password: string, userInputs: readonly string[] = []): Promise<string | null> {
  const zxcvbn = await loadEstimator();
  // An email's local part whole as well as in pieces: `grace.hopper123` is as guessable as `gracehopper123`.
  const words = userInputs.flatMap((input) => [
    input,
    ...(input.includes('@') ? [input.split('@')[0] ?? ''] : []),
    ...input.split(/[@.\s_+-]+/),
  ]);
  const result = zxcvbn.check(password, words);
  if (result.score >= MIN_SCORE) return null;
  const { warning, suggestions } = result.feedback;
  return ['password is too easy to guess:', warning ?? 'it would be among the first guesses tried.', ...suggestions].join(' ');
}
