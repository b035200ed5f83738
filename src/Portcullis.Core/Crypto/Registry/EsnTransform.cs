namespace Portcullis.Core.Crypto.Registry;

/// <summary>The ESN transform (RFC 7296 §3.3.2, RFC 4303 §2.2.1): whether ESP uses 64-bit sequence numbers on the wire.</summary>
public sealed class EsnTransform : Transform
{
    internal EsnTransform(ushort id, string keyword, string name)
        : base(TransformType.ExtendedSequenceNumbers, id, 0, keyword, name, "RFC 7296", legacy: false)
    {
        ForIke = false;
    }

    /// <summary>True for "esn".</summary>
    public bool Enabled => Id == 1;

    /// <inheritdoc />
    public override string Kind => "esn";
}
