import { zxcvbn, zxcvbnOptions } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';
import * as english from '@zxcvbn-ts/language-en';

// Loaded once: the common-password, name and word lists, and keyboard patterns.
zxcvbnOptions.setOptions({
  dictionary: { ...common.dictionary, ...english.dictionary },
  graphs: common.adjacencyGraphs,
});

/** The name of the service, refused as (part of) a password like the username is. */
export const SERVICE_NAME = 'gatehouse';
// zxcvbn's work grows with length, and it runs synchronously: judge a bounded prefix.
const JUDGED_LENGTH = 100;

/**
 * zxcvbn's 0–4 guessability score of a password (3: "safely unguessable",
 * about 10^8 guesses or more), given words specific to the account (the
 * username, the service name) that an attacker would try first.
 */
export function scorePassword(password: string, userInputs: readonly string[]): number {
  return zxcvbn(password.slice(0, JUDGED_LENGTH), [...userInputs, SERVICE_NAME]).score;
}
