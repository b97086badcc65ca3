/** The `none` auth, the default: nothing attached, nothing checked, and asking it to issue or verify says auth is off. */
import { MicroError } from '../errors.ts';
import type { Auth, Rule } from './auth.ts';

const off = (): never => {
  throw new MicroError('UNAVAILABLE', "auth is off: start the node with auth: 'jwt' (or MICRO_AUTH=jwt)");
};

export function createDisabledAuth(): Auth {
  let rules: readonly Rule[] = [];
  return {
    enabled: false,
    account: undefined,
    hello: undefined,
    token: () => undefined,
    issue: async () => off(),
    verify: off,
    authorize: () => {},
    setRules: (next) => {
      rules = next;
    },
    rules: () => rules,
    useRules: async (source) => {
      rules = await source.load();
      return () => {};
    },
    close: async () => {},
  };
}
