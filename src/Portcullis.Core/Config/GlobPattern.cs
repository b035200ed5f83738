namespace Portcullis.Core.Config;

/// <summary>Shell-style wildcard matching of one path segment (<c>*</c>, <c>?</c>, <c>[abc]</c>, <c>[a-z]</c>, <c>[!a]</c>).</summary>
internal static class GlobPattern
{
    /// <summary>True when the text has a wildcard character.</summary>
    public static bool HasWildcards(string text) => text.AsSpan().IndexOfAny("*?[") >= 0;

    /// <summary>True when <paramref name="name"/> matches the whole of <paramref name="pattern"/>.</summary>
    public static bool IsMatch(ReadOnlySpan<char> name, ReadOnlySpan<char> pattern)
    {
        // Iterative matcher with backtracking to the last '*'.
        int n = 0, p = 0, starP = -1, starN = 0;
        while (n < name.Length)
        {
            if (p < pattern.Length)
            {
                char c = pattern[p];
                if (c == '*') { starP = p++; starN = n; continue; }
                if (c == '?') { p++; n++; continue; }
                if (c == '[' && TryMatchClass(pattern, p, name[n], out int next, out bool matched))
                {
                    if (matched) { p = next; n++; continue; }
                }
                else if (c == name[n]) { p++; n++; continue; }
            }
            if (starP < 0) return false;
            p = starP + 1;
            n = ++starN;
        }
        while (p < pattern.Length && pattern[p] == '*') p++;
        return p == pattern.Length;
    }

    /// <summary>Matches a <c>[…]</c> class at <paramref name="start"/>; false when the bracket is not a class (then it is literal).</summary>
    private static bool TryMatchClass(ReadOnlySpan<char> pattern, int start, char ch, out int next, out bool matched)
    {
        int i = start + 1;
        bool negate = i < pattern.Length && (pattern[i] == '!' || pattern[i] == '^');
        if (negate) i++;
        bool any = false, first = true;
        while (i < pattern.Length && (pattern[i] != ']' || first))
        {
            first = false;
            char lo = pattern[i], hi = lo;
            if (i + 2 < pattern.Length && pattern[i + 1] == '-' && pattern[i + 2] != ']')
            {
                hi = pattern[i + 2];
                i += 2;
            }
            if (ch >= lo && ch <= hi) any = true;
            i++;
        }
        if (i >= pattern.Length) { next = start; matched = false; return false; }
        next = i + 1;
        matched = any != negate;
        return true;
    }
}
