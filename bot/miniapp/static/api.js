// Every call carries Telegram's signed initData; the server checks it with the bot token.
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export function makeApi(initData) {
  async function call(method, path, body) {
    const response = await fetch(`api/${path}`, {
      method,
      headers: {
        Authorization: `tma ${initData}`,
        ...(body ? { "Content-Type": "application/json" } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
      credentials: "omit",
    });
    let data = {};
    try {
      data = await response.json();
    } catch {
      data = {};
    }
    if (!response.ok) throw new ApiError(response.status, data.error || "");
    return data;
  }
  return {
    get: (path, params = {}) => {
      const query = new URLSearchParams(
        Object.entries(params).filter(([, v]) => v !== "" && v !== null && v !== undefined),
      ).toString();
      return call("GET", query ? `${path}?${query}` : path);
    },
    post: (path, body = {}) => call("POST", path, body),
  };
}

export function newKey() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
