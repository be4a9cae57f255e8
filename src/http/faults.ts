/**
 * Typed faults thrown by services. Only the HTTP layer turns them into statuses and bodies
 * (one mapper per service family, see error-mappers.ts).
 */
export class Fault extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class BadRequest extends Fault {
  constructor(message: string) { super(400, message); }
}
export class Unauthorized extends Fault {
  constructor(message = 'The request you have made requires authentication.') { super(401, message); }
}
export class Forbidden extends Fault {
  constructor(message = 'You are not authorized to perform the requested action.') { super(403, message); }
}
export class NotFound extends Fault {
  constructor(message = 'The resource could not be found.') { super(404, message); }
}
export class MethodNotAllowed extends Fault {
  constructor(message = 'The method is not allowed for the requested URL.') { super(405, message); }
}
export class NotAcceptable extends Fault {
  constructor(message: string) { super(406, message); }
}
export class Conflict extends Fault {
  constructor(message: string) { super(409, message); }
}
export class OverLimit extends Fault {
  constructor(message: string) { super(413, message); }
}
export class UnsupportedMediaType extends Fault {
  constructor(message: string, headers: Record<string, string> = {}) { super(415, message, headers); }
}
export class NotImplemented extends Fault {
  constructor(message = 'This operation is not implemented by Snapstack.') { super(501, message); }
}
export class ServiceUnavailable extends Fault {
  constructor(message: string) { super(503, message); }
}
