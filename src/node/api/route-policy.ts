export type RouteAccess = "public" | "protected" | "forbidden";

/**
 * Hornet's route lists: a pattern starting with "^" is a regular expression, any other is a literal
 * path where "*" matches anything. Paths are compared lower-cased and without the query string.
 */
export function compileRoutePattern(pattern: string): RegExp {
  if (pattern.startsWith("^")) return new RegExp(pattern);
  const escaped = pattern
    .toLowerCase()
    .split("*")
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
    .join(".*");
  return new RegExp(`^${escaped}$`);
}

export function createRoutePolicy(
  publicRoutes: string[],
  protectedRoutes: string[],
): (path: string) => RouteAccess {
  const pub = publicRoutes.map(compileRoutePattern);
  const prot = protectedRoutes.map(compileRoutePattern);
  return (rawPath) => {
    const q = rawPath.indexOf("?");
    const path = (q === -1 ? rawPath : rawPath.slice(0, q)).toLowerCase();
    if (pub.some((re) => re.test(path))) return "public";
    if (prot.some((re) => re.test(path))) return "protected";
    return "forbidden";
  };
}
