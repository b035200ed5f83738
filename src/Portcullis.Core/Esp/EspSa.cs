using Portcullis.Core.Crypto;
using Portcullis.Core.Crypto.Registry;

namespace Portcullis.Core.Esp;

/// <summary>
/// One direction of one ESP CHILD SA (RFC 4303, RFC 4301 §4.4.2): what every IPsec SA has (<see cref="IpsecSa"/>)
/// plus the keyed encryption and integrity transforms. Key material comes from the IKE layer; the keyed primitives
/// wipe their keys on <see cref="IpsecSa.Dispose"/>. Packet processing (<see cref="EspProcessor"/>) on one SA is not
/// thread-safe: one SA, one pipeline.
/// </summary>
public sealed class EspSa : IpsecSa
{
    private IAead? _aead;
    private ICipher? _cipher;
    private IIntegrity? _integrity;

    private EspSa(uint spi, bool inbound, EncryptionTransform encryption, IntegrityTransform? integrity, int replayWindow, bool extendedSequenceNumbers)
        : base(spi, inbound, extendedSequenceNumbers, replayWindow)
    {
        Encryption = encryption;
        Integrity = integrity;
    }

    /// <summary>Keys an outbound SA. <paramref name="integrity"/> must be null for an AEAD and set otherwise.</summary>
    public static EspSa CreateOutbound(uint spi, EncryptionTransform encryption, IntegrityTransform? integrity,
        ReadOnlySpan<byte> encryptionKeyMaterial, ReadOnlySpan<byte> integrityKey, bool extendedSequenceNumbers = false) =>
        Create(spi, inbound: false, encryption, integrity, encryptionKeyMaterial, integrityKey, ReplayWindow.DefaultSize, extendedSequenceNumbers);

    /// <summary>Keys an inbound SA with a replay window of <paramref name="replayWindow"/> packets.</summary>
    public static EspSa CreateInbound(uint spi, EncryptionTransform encryption, IntegrityTransform? integrity,
        ReadOnlySpan<byte> encryptionKeyMaterial, ReadOnlySpan<byte> integrityKey, int replayWindow = ReplayWindow.DefaultSize,
        bool extendedSequenceNumbers = false) =>
        Create(spi, inbound: true, encryption, integrity, encryptionKeyMaterial, integrityKey, replayWindow, extendedSequenceNumbers);

    private static EspSa Create(uint spi, bool inbound, EncryptionTransform encryption, IntegrityTransform? integrity,
        ReadOnlySpan<byte> encryptionKeyMaterial, ReadOnlySpan<byte> integrityKey, int replayWindow, bool extendedSequenceNumbers)
    {
        ArgumentNullException.ThrowIfNull(encryption);
        if (!encryption.ForEsp) throw new ArgumentException($"{encryption.Keyword} is not an ESP transform", nameof(encryption));
        if (encryption.IsAead && integrity is not null)
            throw new ArgumentException($"{encryption.Keyword} is an AEAD: no integrity transform goes with it", nameof(integrity));
        if (!encryption.IsAead && integrity is null)
            throw new ArgumentException($"{encryption.Keyword} needs an integrity transform", nameof(integrity));

        var sa = new EspSa(spi, inbound, encryption, integrity, replayWindow, extendedSequenceNumbers);
        try
        {
            if (encryption.IsAead)
            {
                sa._aead = encryption.CreateAead(encryptionKeyMaterial);
                sa.IvSize = sa._aead.IvSize;
                sa.IcvSize = sa._aead.IcvSize;
                sa.PaddingUnit = 4;
            }
            else
            {
                sa._cipher = encryption.CreateCipher(encryptionKeyMaterial);
                sa._integrity = integrity!.Create(integrityKey);
                sa.IvSize = sa._cipher.IvSize;
                sa.IcvSize = sa._integrity.IcvSize;
                sa.PaddingUnit = Math.Max(4, sa._cipher.BlockSize);
                sa.UsesRandomIv = sa._cipher.BlockSize > 1;
            }
        }
        catch
        {
            sa.Dispose();
            throw;
        }
        return sa;
    }

    /// <summary>The encryption (or AEAD) transform.</summary>
    public EncryptionTransform Encryption { get; }

    /// <summary>The integrity transform; null with an AEAD.</summary>
    public IntegrityTransform? Integrity { get; }

    /// <summary>Bytes of explicit IV after the sequence number.</summary>
    public int IvSize { get; private set; }

    /// <summary>Bytes of ICV at the end of the packet.</summary>
    public int IcvSize { get; private set; }

    /// <summary>The payload, padding, Pad Length and Next Header together are a multiple of this (RFC 4303 §2.4).</summary>
    public int PaddingUnit { get; private set; }

    /// <summary>CBC: a random IV per packet. Counter modes and AEADs use the sequence number instead.</summary>
    internal bool UsesRandomIv { get; private set; }

    internal IAead? Aead => _aead;
    internal ICipher? Cipher => _cipher;
    internal IIntegrity? IntegrityPrimitive => _integrity;

    private protected override void DisposePrimitives()
    {
        _aead?.Dispose();
        _cipher?.Dispose();
        _integrity?.Dispose();
        _aead = null;
        _cipher = null;
        _integrity = null;
    }
}
