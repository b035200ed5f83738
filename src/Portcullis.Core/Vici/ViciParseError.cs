namespace Portcullis.Core.Vici;

/// <summary>What was wrong with a VICI packet or message (strongSwan's vici plugin README, "Packet layer" and "Message format").</summary>
public enum ViciErrorKind
{
    /// <summary>The bytes ended inside an element or field.</summary>
    Truncated,
    /// <summary>A packet or element type that the protocol does not define.</summary>
    UnknownType,
    /// <summary>An element that is not allowed where it stands (a key/value inside a list, an item outside one…).</summary>
    Misplaced,
    /// <summary>Sections or a list left open at the end of the message, or a close with nothing open.</summary>
    Unbalanced,
    /// <summary>An empty name, or one with bytes outside printable ASCII.</summary>
    BadName,
    /// <summary>The same key or section name twice in one section.</summary>
    Duplicate,
    /// <summary>More than the limit (segment length, nesting depth).</summary>
    TooLarge,
}

/// <summary>
/// A typed parse failure: the kind, the field it concerns (<c>packet type</c>, <c>name length</c>, <c>element type</c>,
/// <c>value length</c>…) and the byte offset where parsing stopped. Parsers return it; they never throw on input.
/// </summary>
/// <param name="Kind">What went wrong.</param>
/// <param name="Field">The field or element concerned, in the README's words.</param>
/// <param name="Offset">Offset into the parsed bytes.</param>
public sealed record ViciParseError(ViciErrorKind Kind, string Field, int Offset)
{
    /// <inheritdoc />
    public override string ToString() => $"{Kind} {Field} at byte {Offset}";
}
