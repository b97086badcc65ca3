import { generateAuthKeys, type AuthKeyPair } from '../../../../src/mesh/auth/keys.ts';
import type { Rule } from '../../../../src/mesh/auth/auth.ts';
import type { Middleware } from '../../../../src/mesh/middleware/middleware.ts';
import { defineService } from '../../../../src/mesh/service.ts';

let keys: Promise<[AuthKeyPair, AuthKeyPair]> | undefined;
/** Two key pairs (the mesh's and a foreign issuer's), made once per test file. */
export const testKeys = (): Promise<[AuthKeyPair, AuthKeyPair]> => (keys ??= Promise.all([generateAuthKeys(), generateAuthKeys()]));

export const rules: Rule[] = [
  { id: 'services', resource: { type: 'service', name: '*', endpoint: '*' }, scope: 'service', access: 'grant', priority: 10 },
  { id: 'no-admin', resource: { type: 'service', name: 'greeter', endpoint: 'Admin.*' }, scope: '*', access: 'deny', priority: 100 },
  { id: 'ops-reset', resource: { type: 'service', name: 'greeter', endpoint: 'Admin.Reset' }, scope: 'ops', access: 'grant', priority: 200 },
  { id: 'calc', resource: { type: 'actor', name: '/user/calc' }, scope: 'service', access: 'grant' },
];

export const greeter = defineService({
  name: 'greeter',
  endpoints: {
    'Say.Hello': (req: { name: string }) => ({ msg: `Hello ${req.name}` }),
    'Admin.Reset': () => 'reset',
    'Admin.Drop': () => 'dropped',
    'Health.Check': { handler: () => 'ok', public: true },
    'Say.Stream': {
      stream: async (s) => {
        for await (const m of s) await s.send(`${String(m)}!`);
      },
    },
  },
});

/** Removes the token the auth middleware attached (runs inside it), as a caller without one would send. */
export const stripToken: Middleware = {
  name: 'strip-token',
  attempt: (next) => (attempt) => {
    const { authorization: _, ...rest } = attempt.call.metadata;
    attempt.call.metadata = rest;
    return next(attempt);
  },
};
