// Coded errors (ARCHITECTURE.md example 8, after fastify lib/errors.js): every error the
// API can return has a stable code, a message and an HTTP status.
export class HubError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly statusCode: number,
  ) {
    super(message);
    this.name = 'HubError';
  }
}

const make = (code: string, status: number) => (message: string) => new HubError(code, message, status);

export const errors = {
  badRequest: make('HUB_ERR_BAD_REQUEST', 400),
  unauthenticated: make('HUB_ERR_UNAUTHENTICATED', 401),
  forbidden: make('HUB_ERR_FORBIDDEN', 403),
  deviceUnknown: make('HUB_ERR_DEVICE_UNKNOWN', 404),
  notFound: make('HUB_ERR_NOT_FOUND', 404),
  deviceExists: make('HUB_ERR_DEVICE_EXISTS', 409),
  conflict: make('HUB_ERR_CONFLICT', 409),
  unavailable: make('HUB_ERR_UNAVAILABLE', 503),
  config: make('HUB_ERR_CONFIG', 500),
};
