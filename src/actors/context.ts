import { CellControl } from './control.ts';
import { Envelope, headersOf, senderOf } from './refs.ts';
import type { Cell } from './cell.ts';
import type { Logger } from './logger.ts';
import type { BaseRef } from './refs.ts';
import type { ActorContext, ActorRef, AnyRef, Behavior, Reminders, SpawnOptions, Timers } from './types.ts';

/** The context an actor sees; one per cell, reading the current message's sender and headers from it. */
export class CellContext<M> implements ActorContext<M> {
  #control: CellControl | undefined;
  #log: Logger | undefined;

  constructor(readonly cell: Cell<M>) {}

  get self(): ActorRef<M> {
    return this.cell.ref;
  }

  get parent(): AnyRef | undefined {
    return this.cell.parent?.ref;
  }

  get sender(): AnyRef | undefined {
    return senderOf(this.cell.currentMeta);
  }

  get headers(): Readonly<Record<string, string>> {
    return headersOf(this.cell.currentMeta);
  }

  get origin(): string | undefined {
    const meta = this.cell.currentMeta;
    return meta instanceof Envelope ? meta.origin : undefined;
  }

  get timers(): Timers<M> {
    return this.cell.timers;
  }

  get reminders(): Reminders {
    return this.cell.system.reminders(this.cell.ref);
  }

  get log(): Logger {
    if (this.#log === undefined) {
      const base = this.cell.system.log;
      this.#log = base.child !== undefined ? base.child({ actor: this.cell.path }) : base;
    }
    return this.#log;
  }

  get incarnation(): number {
    return this.cell.incarnation;
  }

  get control(): CellControl {
    return (this.#control ??= new CellControl(this.cell as Cell));
  }

  disposeControl(): void {
    this.#control?.dispose();
  }

  reply(value: unknown): void {
    const sender = senderOf(this.cell.currentMeta) as BaseRef | undefined;
    if (sender !== undefined) sender.deliver(value, this.cell.ref as BaseRef);
    else this.cell.system.deadLetter('(no sender)', value, this.cell.ref as BaseRef, 'unknown');
  }

  spawn<C>(behavior: Behavior<C>, options?: SpawnOptions): ActorRef<C> {
    return this.cell.system.spawnChild(this.cell as Cell, behavior, options);
  }

  stop(ref?: AnyRef): void {
    if (ref === undefined || ref === this.cell.ref) {
      this.cell.stop({ type: 'normal', self: true });
      return;
    }
    const child = this.cell.children.named(ref.path.slice(ref.path.lastIndexOf('/') + 1));
    if (child === undefined || child.ref !== ref) throw new Error(`${ref.path} is not a child of ${this.cell.path}`);
    child.stop({ type: 'normal' });
  }

  watch(ref: AnyRef): void {
    if (ref === this.cell.ref) return;
    (this.cell.watching ??= new Set()).add(ref);
    (ref as BaseRef).addWatcher(this.cell);
  }

  unwatch(ref: AnyRef): void {
    this.cell.watching?.delete(ref);
    (ref as BaseRef).removeWatcher(this.cell);
  }

  children(): AnyRef[] {
    return this.cell.children.inOrder().map((c) => c.ref);
  }
}
