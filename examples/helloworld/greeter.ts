import { defineService } from 'micromesh';

/** The greeter service, shared by the server and the client for typed calls. */
export const greeter = defineService({
  name: 'greeter',
  version: '1.0.0',
  endpoints: {
    'Say.Hello': { idempotent: true, handler: (req: { name: string }) => ({ msg: `Hello ${req.name}` }) },
    'Say.Stream': {
      stream: async (stream) => {
        for await (const name of stream) await stream.send(`Hello ${name as string}`);
      },
    },
  },
});
