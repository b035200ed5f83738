using Portcullis.Core.Crypto;
using Portcullis.Core.Crypto.Registry;

namespace Portcullis.Core.Esp;

/// <summary>
/// One direction of one AH CHILD SA (RFC 4302, RFC 4301 §4.4.2): what every IPsec SA has (<see cref="IpsecSa"/>) plus
/// the keyed integrity transform — an HMAC or AES-XCBC-MAC, or AES-GMAC with its per-packet IV (RFC 4543 §4). AH
/// authenticates and does not encrypt. Packet processing (<see cref="AhProcessor"/>) on one SA is not thread-safe.
/// </summary>
public sealed class AhSa : IpsecSa
{
    /// <summary>Next Header, Payload Length, Reserved, SPI and Sequence Number: the fixed part of the header.</summary>
    public const int FixedHeaderSize = 12;

    private IIntegrity? _mac;
    private IIvIntegrity? _ivMac;

    private AhSa(uint spi, bool inbound, IntegrityTransform integrity, int replayWindow, bool extendedSequenceNumbers)
        : base(spi, inbound, extendedSequenceNumbers, replayWindow)
    {
        Integrity = integrity;
        IcvSize = integrity.IcvSize;
        IvSize = integrity.IvSize;
    }

    /// <summary>Keys an outbound SA.</summary>
    public static AhSa CreateOutbound(uint spi, IntegrityTransform integrity, ReadOnlySpan<byte> integrityKey, bool extendedSequenceNumbers = false) =>
        Create(spi, inbound: false, integrity, integrityKey, ReplayWindow.DefaultSize, extendedSequenceNumbers);

    /// <summary>Keys an inbound SA with a replay window of <paramref name="replayWindow"/> packets.</summary>
    public static AhSa CreateInbound(uint spi, IntegrityTransform integrity, ReadOnlySpan<byte> integrityKey, int replayWindow = ReplayWindow.DefaultSize,
        bool extendedSequenceNumbers = false) =>
        Create(spi, inbound: true, integrity, integrityKey, replayWindow, extendedSequenceNumbers);

    private static AhSa Create(uint spi, bool inbound, IntegrityTransform integrity, ReadOnlySpan<byte> key, int replayWindow, bool extendedSequenceNumbers)
    {
        ArgumentNullException.ThrowIfNull(integrity);
        if (!integrity.ForAh) throw new ArgumentException($"{integrity.Keyword} is not an AH integrity transform", nameof(integrity));
        var sa = new AhSa(spi, inbound, integrity, replayWindow, extendedSequenceNumbers);
        try
        {
            if (integrity.IvSize > 0) sa._ivMac = integrity.CreateWithIv(key);
            else sa._mac = integrity.Create(key);
        }
        catch
        {
            sa.Dispose();
            throw;
        }
        return sa;
    }

    /// <summary>The integrity transform.</summary>
    public IntegrityTransform Integrity { get; }

    /// <summary>Bytes of ICV (the MAC or tag, without IV or padding).</summary>
    public int IcvSize { get; }

    /// <summary>Bytes of IV before the ICV in the Integrity Check Value field: 8 for AES-GMAC, 0 otherwise.</summary>
    public int IvSize { get; }

    /// <summary>
    /// The length of the whole AH header over an IP header of the given version: the fixed part, the IV and the ICV,
    /// padded to a multiple of 4 bytes for IPv4 and of 8 for IPv6 (RFC 4302 §2.6, §3.3.3.2.1; RFC 4543 erratum 3643).
    /// </summary>
    public int HeaderLength(bool ipv6)
    {
        int unit = ipv6 ? 8 : 4;
        return (FixedHeaderSize + IvSize + IcvSize + unit - 1) / unit * unit;
    }

    internal IIntegrity? Mac => _mac;
    internal IIvIntegrity? IvMac => _ivMac;

    private protected override void DisposePrimitives()
    {
        _mac?.Dispose();
        _ivMac?.Dispose();
        _mac = null;
        _ivMac = null;
    }
}
