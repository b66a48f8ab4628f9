/**
 * Finds where a JSON text stops being JSON. `JSON.parse` says *that* a text is invalid, but V8's
 * message gives a position only for some faults, so the fault is located here by a small scanner
 * that follows RFC 8259. It is only run after `JSON.parse` has failed, never on the hot path.
 */
export interface JsonFault {
  /** 1-based line and column of the offending character (or of the end of the text). */
  line: number;
  column: number;
  offset: number;
  reason: string;
}

const WS = new Set([" ", "\t", "\n", "\r"]);

class Fault extends Error {
  constructor(
    readonly offset: number,
    readonly reason: string,
  ) {
    super(reason);
  }
}

export function locateJsonFault(text: string): JsonFault {
  let offset = text.length;
  let reason = "invalid JSON";
  try {
    scan(text);
  } catch (e) {
    if (!(e instanceof Fault)) throw e;
    offset = e.offset;
    reason = e.reason;
  }
  return { ...lineColumn(text, offset), offset, reason };
}

export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

function scan(text: string): void {
  let i = 0;
  // Nesting is tracked with an explicit stack so a hostile, deeply nested text cannot overflow ours.
  const skipWs = () => {
    while (i < text.length && WS.has(text[i]!)) i++;
  };
  const describe = (at: number) => (at >= text.length ? "unexpected end of input" : `unexpected character ${JSON.stringify(text[at])}`);
  const expect = (what: string): never => {
    throw new Fault(i, `${describe(i)}, expected ${what}`);
  };
  const literal = (word: string) => {
    for (let k = 0; k < word.length; k++) {
      if (text[i + k] !== word[k]) {
        i += k;
        expect(`"${word}"`);
      }
    }
    i += word.length;
  };
  const string = () => {
    i++; // opening quote
    for (;;) {
      if (i >= text.length) throw new Fault(i, "unterminated string");
      const ch = text.charCodeAt(i);
      if (ch === 34) {
        i++;
        return;
      }
      if (ch < 0x20) throw new Fault(i, "control character in string (escape it)");
      if (ch === 92) {
        const esc = text[i + 1];
        if (esc === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) throw new Fault(i, "invalid \\u escape");
          i += 6;
        } else if (esc !== undefined && '"\\/bfnrt'.includes(esc)) {
          i += 2;
        } else {
          throw new Fault(i, "invalid escape in string");
        }
      } else {
        i++;
      }
    }
  };
  const number = () => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m || m[0] === "-" || m[0] === "") expect("a value");
    i += m![0].length;
  };
  const scalar = () => {
    const ch = text[i];
    if (ch === '"') string();
    else if (ch === "t") literal("true");
    else if (ch === "f") literal("false");
    else if (ch === "n") literal("null");
    else if (ch === "-" || (ch !== undefined && ch >= "0" && ch <= "9")) number();
    else expect("a value");
  };

  // Each stack entry is the container we are in: "{" or "[".
  const stack: string[] = [];
  skipWs();
  let needValue = true;
  for (;;) {
    if (needValue) {
      skipWs();
      const ch = text[i];
      if (ch === "{") {
        i++;
        skipWs();
        if (text[i] === "}") {
          i++;
          needValue = false;
        } else {
          stack.push("{");
          key();
          continue;
        }
      } else if (ch === "[") {
        i++;
        skipWs();
        if (text[i] === "]") {
          i++;
          needValue = false;
        } else {
          stack.push("[");
          continue;
        }
      } else {
        scalar();
        needValue = false;
      }
    }
    skipWs();
    const top = stack[stack.length - 1];
    if (top === undefined) {
      if (i < text.length) throw new Fault(i, `${describe(i)} after the end of the JSON value`);
      return;
    }
    const ch = text[i];
    if (ch === ",") {
      i++;
      skipWs();
      if (top === "{") {
        if (text[i] === "}") throw new Fault(i, 'trailing comma before "}"');
        key();
      } else if (text[i] === "]") {
        throw new Fault(i, 'trailing comma before "]"');
      }
      needValue = true;
    } else if (ch === (top === "{" ? "}" : "]")) {
      i++;
      stack.pop();
    } else {
      expect(top === "{" ? '"," or "}"' : '"," or "]"');
    }
  }

  function key() {
    skipWs();
    if (text[i] !== '"') expect("a double-quoted property name");
    string();
    skipWs();
    if (text[i] !== ":") expect('":"');
    i++;
  }
}
