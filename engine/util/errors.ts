// The one error base class of the project. Every error that crosses a module boundary is an
// OvsError with a stable code (`OVS_E_...`); codes are listed in engine/util/error-codes.md.
export class OvsError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Bad input from a user or a peer: names the bad value and what was expected. */
export class InvalidInputError extends OvsError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('OVS_E_INVALID_INPUT', message, options);
  }
}

/** Something the code assumed cannot happen did; carries what was found. */
export class InternalError extends OvsError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('OVS_E_INTERNAL', message, options);
  }
}
