/**
 * A service's paths from its OpenAPI file as a tree of segments, so a request finds its
 * operations in one walk down the tree rather than by trying every route in turn.
 *
 * It matches as the per-route router it replaces did (path-to-regexp, case-sensitive, one
 * optional trailing slash): a `{name}` segment takes one or more characters other than `/`, a
 * literal segment is compared undecoded, and where a literal and a `{name}` both fit a segment
 * the literal's paths come first (`/volumes/detail` before `/volumes/{volume_id}`). A request
 * may fit several paths; `match` yields them in that order and the caller decides which answers.
 */
export interface PathMatch<T> {
  /** What the path was added with. */
  value: T;
  /** The `{name}` segments, raw (still percent-encoded). */
  rawParams: Array<[name: string, raw: string]>;
}

interface Node<T> {
  literals: Map<string, Node<T>>;
  /** `{name}` children, in the order of their `{name}` texts (as the sorted routes were). */
  params: Array<{ name: string; node: Node<T> }>;
  value?: T;
}

const newNode = <T>(): Node<T> => ({ literals: new Map(), params: [] });

export class PathTable<T> {
  private readonly root: Node<T> = newNode();

  /** Adds an OpenAPI path (`/v3/{project_id}/volumes`); a path added twice keeps its first value. */
  add(template: string, value: T): void {
    let node = this.root;
    for (const seg of segments(template)) {
      const param = /^\{([^}]+)\}$/.exec(seg);
      if (param) {
        let child = node.params.find((c) => c.name === param[1]);
        if (!child) {
          node.params.push((child = { name: param[1], node: newNode() }));
          node.params.sort((a, b) => (`{${a.name}}` < `{${b.name}}` ? -1 : 1));
        }
        node = child.node;
      } else {
        let next = node.literals.get(seg);
        if (!next) node.literals.set(seg, (next = newNode()));
        node = next;
      }
    }
    node.value ??= value;
  }

  /** The paths a request path (without its query) fits, literal segments first. */
  match(pathname: string): Array<PathMatch<T>> {
    const segs = segments(pathname.length > 1 && pathname.endsWith('/') ? pathname.slice(0, -1) : pathname);
    const out: Array<PathMatch<T>> = [];
    walk(this.root, segs, 0, [], out);
    return out;
  }
}

function walk<T>(node: Node<T>, segs: string[], i: number, params: Array<[string, string]>, out: Array<PathMatch<T>>): void {
  if (i === segs.length) {
    if (node.value !== undefined) out.push({ value: node.value, rawParams: params.slice() });
    return;
  }
  const seg = segs[i];
  const literal = node.literals.get(seg);
  if (literal) walk(literal, segs, i + 1, params, out);
  if (seg === '') return;
  for (const child of node.params) {
    params.push([child.name, seg]);
    walk(child.node, segs, i + 1, params, out);
    params.pop();
  }
}

/** `/a/b` → ['a', 'b']; `/` → []. */
function segments(path: string): string[] {
  const body = path.startsWith('/') ? path.slice(1) : path;
  return body === '' ? [] : body.split('/');
}
