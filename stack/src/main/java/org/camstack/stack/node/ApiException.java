package org.camstack.stack.node;

/**
 * Bad user input or a missing object at the management boundary: becomes a 4xx with a one-line
 * JSON message ({@link ApiModel.Error}); nothing was changed. Not for invariant violations (those
 * are {@link IllegalStateException} and answer 500).
 */
public final class ApiException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int status;

  private ApiException(int status, String message) {
    super(message, null, false, false);
    this.status = status;
  }

  /** 400: malformed input (bad B:T:L, negative size, bad hex, missing field). */
  public static ApiException badRequest(String message) {
    return new ApiException(400, message);
  }

  /** 404: unknown device, handle, rule or LUN. */
  public static ApiException notFound(String message) {
    return new ApiException(404, message);
  }

  /** 409: the request conflicts with the current state (LUN already present, node busy). */
  public static ApiException conflict(String message) {
    return new ApiException(409, message);
  }

  /** 403: refused whatever the input (foreign Host or Origin). */
  public static ApiException forbidden(String message) {
    return new ApiException(403, message);
  }

  /** 413: the body or a transfer is larger than the node takes (camstack.node.limits). */
  public static ApiException tooLarge(String message) {
    return new ApiException(413, message);
  }

  /** 415: a state-changing request whose body is not JSON. */
  public static ApiException unsupportedMediaType(String message) {
    return new ApiException(415, message);
  }

  /** 422: well-formed input the node will not take (size or name beyond a limit, bad rule). */
  public static ApiException unprocessable(String message) {
    return new ApiException(422, message);
  }

  /** 429: a per-client or node-wide quota is spent (handles, rules, buffer memory). */
  public static ApiException tooMany(String message) {
    return new ApiException(429, message);
  }

  /** 503: the node is not ready (first scan not finished) or shutting down. */
  public static ApiException unavailable(String message) {
    return new ApiException(503, message);
  }

  public int status() {
    return status;
  }
}
