import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import {
  type ActorContext,
  type ActorSystem,
  type AnyRef,
  AskFailure,
  BaseRef,
  Envelope,
  fromFactory,
  type Meta,
  RemoteDeniedError,
  type SendResult,
  type SerializedRef,
} from '../../../src/actors/index.ts';
import { kernelOf } from '../../../src/actors/internal.ts';
import { createActorSystem } from '../../../src/supervisor/index.ts';
import { collectEvents, settlesSoon, turns, turnsUntil } from '../../support/wait.ts';

let system: ActorSystem;
afterEach(() => system?.terminate());

/** Delivers `message` as the mesh does for a message from node `origin`. */
function fromNetwork(ref: AnyRef, message: unknown, origin: string, sender?: AnyRef): SendResult {
  return (ref as BaseRef).deliver(message, new Envelope(sender, undefined, -1, undefined, origin));
}

/** A ref to a reply endpoint of an ask made on another node: it records what it is sent. */
class RemoteReplyEndpoint extends BaseRef {
  readonly received: unknown[] = [];
  readonly path = '/temp/Zm9yZWlnbi10b2tlbg';
  readonly address = `mesh://node-x${this.path}`;
  deliver(message: unknown, _meta: Meta): SendResult {
    this.received.push(message);
    return true;
  }
  addWatcher(): void {}
  removeWatcher(): void {}
  ask(): Promise<never> {
    return Promise.reject(new Error('not askable'));
  }
  toJSON(): SerializedRef {
    return { $ref: this.address };
  }
}

test('origin — ctx.origin names the node a message came from, and is undefined for local messages', async () => {
  system = createActorSystem();
  const seen: Array<[unknown, string | undefined]> = [];
  const ref = system.spawn((m: string, ctx: ActorContext<string>) => {
    seen.push([m, ctx.origin]);
    if (m === 'ask') ctx.reply('ok');
  });
  ref.tell('local');
  ref.tell('with headers', { headers: { a: '1' } });
  assert.equal(await ref.ask('ask'), 'ok');
  fromNetwork(ref, 'remote', 'node-x');
  await turnsUntil(() => seen.length === 4);
  assert.deepEqual(seen, [
    ['local', undefined],
    ['with headers', undefined],
    ['ask', undefined],
    ['remote', 'node-x'],
  ]);
});

test('origin — a local-only actor refuses messages from other nodes: a rejected dead letter, an error reply to an ask', async () => {
  system = createActorSystem();
  const received: string[] = [];
  const ref = system.spawn(
    fromFactory((_ctx: ActorContext<string>) => ({
      localOnly: true,
      receive(m: string) {
        received.push(m);
      },
    })),
    { name: 'guarded' },
  );
  const dead = collectEvents(system, 'dead-letter');

  fromNetwork(ref, 'tell', 'node-x');
  const ask = kernelOf(system).asks.create(ref.path, 'ask', { timeoutMs: 60_000 });
  fromNetwork(ref, 'ask', 'node-x', ask);
  const remoteAsk = new RemoteReplyEndpoint();
  fromNetwork(ref, 'remote ask', 'node-y', remoteAsk);
  ref.tell('local');

  const err = await settlesSoon(ask.promise.catch((e: unknown) => e), 'the refused ask');
  assert.ok(err instanceof RemoteDeniedError);
  assert.equal(err.code, 'REMOTE_DENIED');
  assert.equal(err.origin, 'node-x');
  assert.equal(err.target, '/user/guarded');
  await turnsUntil(() => received.length === 1);
  await turns();
  assert.deepEqual(received, ['local'], 'only the local message was handled');
  assert.deepEqual(dead.events.map((e) => [e.message, e.reason]), [['tell', 'rejected'], ['ask', 'rejected'], ['remote ask', 'rejected']]);
  assert.equal(remoteAsk.received.length, 1);
  const reply = remoteAsk.received[0];
  assert.ok(reply instanceof AskFailure && reply.error instanceof RemoteDeniedError, 'the remote asker gets the error as its reply');
  assert.equal((reply.error as RemoteDeniedError).origin, 'node-y');
});

test('origin — an actor that is not local-only handles messages from other nodes', async () => {
  system = createActorSystem();
  const received: string[] = [];
  const ref = system.spawn((m: string) => {
    received.push(m);
  });
  fromNetwork(ref, 'remote', 'node-x');
  await turnsUntil(() => received.length === 1);
  assert.deepEqual(received, ['remote']);
});
