using Portcullis.Core.Crypto;
using Portcullis.Core.Crypto.Registry;

namespace Portcullis.Core.Ipsec;

/// <summary>
/// One proposal: for each transform type, the acceptable transforms in order of preference (RFC 7296 §3.3). The
/// same shape serves the IKE SA (encryption, PRF, integrity, key exchange) and ESP CHILD SAs (encryption, integrity,
/// optional key exchange for PFS, ESN).
/// </summary>
public sealed class Proposal
{
    /// <summary>Creates a proposal from its transforms, grouped by type in the order given.</summary>
    public Proposal(IEnumerable<Transform> transforms)
    {
        Transforms = transforms.ToArray();
    }

    /// <summary>All transforms, in the order they were written.</summary>
    public IReadOnlyList<Transform> Transforms { get; }

    /// <summary>The transforms of one type, in order of preference.</summary>
    public IEnumerable<Transform> OfType(TransformType type) => Transforms.Where(t => t.Type == type);

    /// <summary>Encryption transforms (ciphers or AEADs, never mixed).</summary>
    public IEnumerable<EncryptionTransform> Encryption => Transforms.OfType<EncryptionTransform>();

    /// <summary>Integrity transforms (none with an AEAD).</summary>
    public IEnumerable<IntegrityTransform> Integrity => Transforms.OfType<IntegrityTransform>();

    /// <summary>PRFs (IKE only).</summary>
    public IEnumerable<PrfTransform> Prf => Transforms.OfType<PrfTransform>();

    /// <summary>Key exchange methods (for ESP: PFS groups).</summary>
    public IEnumerable<KeyExchangeTransform> KeyExchange => Transforms.OfType<KeyExchangeTransform>();

    /// <summary>ESN choices (ESP only).</summary>
    public IEnumerable<EsnTransform> Esn => Transforms.OfType<EsnTransform>();

    /// <summary>strongSwan's notation: keywords joined with '-'.</summary>
    public override string ToString() => string.Join('-', Transforms.Select(t => t.Keyword));
}
