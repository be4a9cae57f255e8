/** Faults of the volume data layer; the Cinder service maps them to API errors. */
export class VolumeDataError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The volume or snapshot has no data on this host. */
export class DataNotFoundError extends VolumeDataError {
  constructor(
    readonly resource: 'volume' | 'snapshot',
    readonly id: string,
  ) {
    super(`${resource} ${id} has no data`);
  }
}

/** A container uses the volume in a way that forbids the operation (running, or merely referencing it). */
export class DataBusyError extends VolumeDataError {
  constructor(
    message: string,
    readonly volumeId: string,
    readonly containerIds: string[] = [],
  ) {
    super(message);
  }
}

/** The id is already taken (create called twice). */
export class DataExistsError extends VolumeDataError {
  constructor(
    readonly resource: 'volume' | 'snapshot',
    readonly id: string,
  ) {
    super(`${resource} ${id} already has data`);
  }
}
