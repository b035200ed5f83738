using Microsoft.Extensions.Logging;

namespace Portcullis.Core.Ppp;

/// <summary>What the parts of one PPP session share: settings, the log, randomness and the way out for packets.</summary>
internal sealed class PppContext(PppOptions options, ILogger logger, Action<ushort, byte[]> send)
{
    public PppOptions Options { get; } = options;

    public ILogger Logger { get; } = logger;

    /// <summary>The session's name at the start of each log line.</summary>
    public string Name => Options.Name;

    /// <summary>Sends one packet of a protocol (the session frames and queues it).</summary>
    public void Send(ushort protocol, byte[] packet) => send(protocol, packet);

    public void Random(Span<byte> into) => (Options.Random ?? System.Security.Cryptography.RandomNumberGenerator.Fill)(into);

    public uint RandomUInt32()
    {
        Span<byte> b = stackalloc byte[4];
        Random(b);
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(b);
    }

    /// <summary>The MRU the peer accepted for what we send (LCP sets it); bounds the packets we build.</summary>
    public int PeerMru { get; set; } = LcpOptions.DefaultMru;
}
