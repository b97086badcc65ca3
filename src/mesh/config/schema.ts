/**
 * Standard Schema v1 (standardschema.dev), the interface valibot, zod and arktype implement, copied as types so that
 * micromesh carries no schema library: `config.scan` takes any of them.
 */
import { MicroError } from '../errors.ts';
import type { ConfigValue } from './config.ts';

export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly '~standard': StandardSchemaV1.Props<Input, Output>;
}

export declare namespace StandardSchemaV1 {
  export interface Props<Input = unknown, Output = Input> {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => Result<Output> | Promise<Result<Output>>;
    readonly types?: Types<Input, Output> | undefined;
  }
  export type Result<Output> = SuccessResult<Output> | FailureResult;
  export interface SuccessResult<Output> {
    readonly value: Output;
    readonly issues?: undefined;
  }
  export interface FailureResult {
    readonly issues: ReadonlyArray<Issue>;
  }
  export interface Issue {
    readonly message: string;
    readonly path?: ReadonlyArray<PropertyKey | PathSegment> | undefined;
  }
  export interface PathSegment {
    readonly key: PropertyKey;
  }
  export interface Types<Input = unknown, Output = Input> {
    readonly input: Input;
    readonly output: Output;
  }
  export type InferOutput<Schema extends StandardSchemaV1> = NonNullable<Schema['~standard']['types']>['output'];
}

/** The dotted key an issue points at, below `base`. */
function keyOf(base: string, issue: StandardSchemaV1.Issue): string {
  const parts = (issue.path ?? []).map((p) => String(typeof p === 'object' && p !== null ? p.key : p));
  return [...(base === '' ? [] : [base]), ...parts].join('.') || '(root)';
}

/** Validates `value` (the tree at `base`) with `schema`: its output, or one CONFIG_INVALID error naming each bad key. */
export function scanWith<S extends StandardSchemaV1>(schema: S, value: ConfigValue | undefined, base: string): StandardSchemaV1.InferOutput<S> {
  const std = schema?.['~standard'];
  if (std === undefined || typeof std.validate !== 'function') {
    throw new MicroError('BAD_REQUEST', 'config.scan takes a Standard Schema (valibot, zod, arktype…)');
  }
  const result = std.validate(value);
  if (result instanceof Promise) throw new MicroError('BAD_REQUEST', 'config.scan: the schema validates asynchronously; use a synchronous schema');
  if (result.issues === undefined) return result.value as StandardSchemaV1.InferOutput<S>;
  const each = result.issues.map((issue) => `"${keyOf(base, issue)}": ${issue.message}`);
  throw new MicroError('CONFIG_INVALID', `config does not match the schema: ${each.join('; ')}`);
}
