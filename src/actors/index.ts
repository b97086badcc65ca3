export { ActorSystem, defaultActorSystemOptions } from './system.ts';
export type { ActorSystemOptions, ActorSystemStats, RemoteResolver } from './system.ts';
export { createSimulatedClock, systemClock } from './clock.ts';
export type { Clock, SimulatedClock } from './clock.ts';
export { fromFactory, toFactory } from './behavior.ts';
export { formatAddress, parseAddress, isValidName } from './address.ts';
export type { Address } from './address.ts';
export { AskEndpoint, AskFailure } from './ask.ts';
export type { AskCreateOptions } from './ask.ts';
export { BaseRef, Envelope, toMeta, senderOf, headersOf } from './refs.ts';
export type { Meta, Watcher } from './refs.ts';
export { DeadRef, LocalRef } from './local-ref.ts';
export { EventStream, DeadLetterReason } from './event-stream.ts';
export type { SystemEvent, SystemEventType, EventOf } from './event-stream.ts';
export { Directive, stopOnFailure } from './strategy.ts';
export type { ChildInfo, Failure, FailurePhase, SupervisionControl, SupervisorStrategy } from './strategy.ts';
export {
  ActorError,
  ActorErrorCodes,
  ActorFailedError,
  ActorStoppedError,
  AskTimeoutError,
  InvalidActorNameError,
  InvalidTimeoutError,
  MailboxFullError,
  RemoteDeniedError,
  messageTypeOf,
} from './errors.ts';
export type { ActorErrorCode } from './errors.ts';
export { silentLogger, createRecordingLogger } from './logger.ts';
export type { Logger, LogFn, RecordingLogger } from './logger.ts';
export { OverflowPolicy, RestartType, Terminated } from './types.ts';
export type {
  Actor,
  ActorContext,
  ActorFactory,
  ActorRef,
  AnyRef,
  Ask,
  AskOptions,
  Behavior,
  MailboxOptions,
  ReceiveFunction,
  ReplyOf,
  ReplyTo,
  SendResult,
  SerializedRef,
  Signal,
  SpawnOptions,
  StopReason,
  TellOptions,
  Timers,
  Reminder,
  ReminderSpec,
  Reminders,
} from './types.ts';
export { whenStarted } from './inspect.ts';
