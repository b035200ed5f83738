namespace Portcullis.Core.Ikev2.Wire;

/// <summary>Why a peer's bytes were refused: the field (in the RFC's words) and what was wrong with it.</summary>
public readonly record struct ParseError(string Field, string Reason)
{
    /// <inheritdoc />
    public override string ToString() => $"{Field}: {Reason}";
}
