// Errors of the JSON-RPC layer. Codes:
//   OVS_E_JSON_SYNTAX        bytes on a connection are not a JSON value (or not UTF-8)
//   OVS_E_JSON_LIMIT         a message exceeds the size or nesting-depth limit
//   OVS_E_JSONRPC_PROTOCOL   a JSON value that is not a valid JSON-RPC 1.0 message
//   OVS_E_RPC_ERROR          the peer answered a request with a JSON-RPC error (see `error`)
//   OVS_E_CONNECTION_CLOSED  the connection closed before a reply arrived
//   OVS_E_BAD_REMOTE         a remote/target string that is not one of the supported forms
import { OvsError } from '../util/errors.js';
import type { Json } from '../ovsdb/api.js';
import { stringifyJson } from '../util/json-int64.js';

export class JsonSyntaxError extends OvsError {
  constructor(message: string) {
    super('OVS_E_JSON_SYNTAX', message);
  }
}

export class JsonLimitError extends OvsError {
  constructor(message: string) {
    super('OVS_E_JSON_LIMIT', message);
  }
}

export class JsonRpcProtocolError extends OvsError {
  constructor(message: string) {
    super('OVS_E_JSONRPC_PROTOCOL', message);
  }
}

/** The peer replied with `"error": <error>`; for OVSDB it is usually `{error, details}` or a string. */
export class RpcError extends OvsError {
  readonly error: Json;
  constructor(method: string, error: Json) {
    super('OVS_E_RPC_ERROR', `${method} failed: ${describeRpcError(error)}`);
    this.error = error;
  }
}

export class ConnectionClosedError extends OvsError {
  constructor(message: string) {
    super('OVS_E_CONNECTION_CLOSED', message);
  }
}

export class BadRemoteError extends OvsError {
  /** `cause`: the system error behind it, if any (errno-text.ts causeText reads its code). */
  constructor(message: string, options?: { cause?: unknown }) {
    super('OVS_E_BAD_REMOTE', message, options);
  }
}

function describeRpcError(error: Json): string {
  if (typeof error === 'string') return error;
  if (error && typeof error === 'object' && !Array.isArray(error)) {
    const e = error.error;
    const d = error.details;
    if (typeof e === 'string') return typeof d === 'string' ? `${e} (${d})` : e;
  }
  return stringifyJson(error);
}
