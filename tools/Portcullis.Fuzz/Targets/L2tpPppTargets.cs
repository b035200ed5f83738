using System.Net;
using Portcullis.Core.Eap;
using Portcullis.Core.Ikev2.Wire;
using Portcullis.Core.L2tp;
using Portcullis.Core.L2tp.Wire;
using Portcullis.Core.Ppp;

namespace Portcullis.Fuzz.Targets;

/// <summary>
/// <c>l2tp-lns</c>: a conversation of L2TP datagrams (control and data) from one LAC into a fresh LNS whose random
/// source is seeded, so a recorded client conversation (SCCRQ, SCCCN, ICRQ, ICCN, data, CDN, StopCCN) replays
/// exactly and mutations reach every state. Property: nothing throws, tunnels and sessions stay within the limits.
/// </summary>
internal sealed class L2tpServerTarget : EngineTarget
{
    public static readonly IPEndPoint Server = new(IPAddress.Parse("192.0.2.1"), 1701);
    public static readonly IPEndPoint Client = new(IPAddress.Parse("192.0.2.2"), 1701);
    public static L2tpOptions ServerOptions(int seed)
    {
        var random = new Random(seed);
        return new L2tpOptions { HostName = "lns.example", Random = s => random.NextBytes(s) };
    }

    protected override void RunInput(byte[] input, FuzzContext context)
    {
        var server = new L2tpServer(ServerOptions(1), NewLogger());
        server.FrameReceived = (_, frame) => context.Feature($"frame:{(frame.Length > 4 ? frame[2] << 8 | frame[3] : -1)}");
        DateTimeOffset now = new(2025, 1, 1, 12, 0, 0, TimeSpan.Zero);
        foreach (byte[] datagram in FrameSplitter.Split(input))
        {
            if (server.TryDecapsulateData(Client, datagram, out L2tpSession? session, out int offset, out int length))
            {
                FuzzContext.Check(offset >= 0 && offset + length <= datagram.Length, "the data payload lies outside the datagram");
                context.Feature($"data:{session.State}");
            }
            else server.HandleDatagram(now, Server, Client, datagram);
            now += TimeSpan.FromMilliseconds(300);
            server.HandleTimeout(now);
            while (server.TryDequeueTransmit(out L2tpTransmit? t)) context.Feature($"sent:{(ControlMessage.TryParse(t.Data, [], out ControlMessage? m, out _) ? m!.Name : "data")}");
            while (server.TryDequeueEvent(out L2tpEvent? e)) context.Feature($"event:{e.GetType().Name}");
        }
        FuzzContext.Check(server.Tunnels.Count <= server.Options.MaxTunnels, "more tunnels than MaxTunnels");
        foreach (L2tpTunnel tunnel in server.Tunnels) context.Feature($"tunnel:{tunnel.State}:{tunnel.Sessions.Count}");
    }
}

/// <summary>
/// <c>ppp-lns</c>: a conversation of PPP frames from a client into a fresh server session (seeded random, so the
/// recorded LCP, MS-CHAPv2 and IPCP exchange replays exactly and mutations reach authentication and IPCP).
/// </summary>
internal sealed class PppServerTarget : EngineTarget
{
    public static PppOptions ServerOptions(byte seed)
    {
        byte counter = seed;
        return new PppOptions
        {
            Role = PppRole.Server,
            Name = "srv",
            FindPassword = name => name == "alice" ? "correct horse"u8.ToArray() : null,
            LocalAddress = IPAddress.Parse("198.18.0.1"),
            AssignPeerAddress = _ => IPAddress.Parse("198.18.101.5"),
            Dns = [IPAddress.Parse("198.18.0.53")],
            AuthenticationProtocols = [PppAuthenticationProtocol.MsChapV2, PppAuthenticationProtocol.ChapMd5, PppAuthenticationProtocol.Pap],
            Random = s => { for (int i = 0; i < s.Length; i++) s[i] = ++counter; },
        };
    }

    protected override void RunInput(byte[] input, FuzzContext context)
    {
        using var server = new PppSession(ServerOptions(0x10), NewLogger());
        DateTimeOffset now = new(2025, 1, 1, 12, 0, 0, TimeSpan.Zero);
        server.Start(now);
        foreach (byte[] frame in FrameSplitter.Split(input))
        {
            server.HandleFrame(now, frame);
            if (server.TryGetIpPacket(frame, out ReadOnlySpan<byte> ip)) context.Feature($"ip:{ip.Length > 0}");
            now += TimeSpan.FromMilliseconds(100);
            server.HandleTimeout(now);
            while (server.TryDequeueFrame(out byte[] _)) { }
            while (server.TryDequeueEvent(out PppEvent e)) context.Feature($"event:{e.GetType().Name}");
            context.Feature($"phase:{server.Phase}:{server.LcpState}:{server.IpcpState}");
        }
    }
}

/// <summary><c>l2tp-message</c>: the L2TP header and control-message (AVP, hidden AVP) parsers.</summary>
internal sealed class L2tpMessageTarget : IFuzzTarget
{
    private static readonly byte[] s_secret = "l2tp tunnel secret"u8.ToArray();

    public void Run(byte[] input, FuzzContext context)
    {
        if (!L2tpHeader.TryParse(input, out L2tpHeader header, out int length, out ParseError error))
        {
            context.Feature($"header:{error.Field}:{error.Reason}");
            return;
        }
        FuzzContext.Check(length <= input.Length && header.PayloadOffset <= length, "the header claims bytes beyond the datagram");
        context.Feature($"control:{header.IsControl}");
        if (!header.IsControl) return;
        byte[] secret = input.Length % 2 == 0 ? s_secret : [];
        if (ControlMessage.TryParse(input, secret, out ControlMessage? m, out error)) context.Feature($"message:{m!.Name}");
        else context.Feature($"control:{error.Field}:{error.Reason}");
    }
}

/// <summary><c>ppp-packets</c>: PPP frames and every packet inside: LCP/IPCP options, echo, protocol reject, CHAP, MS-CHAPv2 values, PAP.</summary>
internal sealed class PppPacketTarget : IFuzzTarget
{
    public void Run(byte[] input, FuzzContext context)
    {
        if (!PppFrame.TryParse(input, out PppFrame frame, out ParseError error)) { context.Feature($"frame:{error.Field}:{error.Reason}"); return; }
        ReadOnlySpan<byte> info = frame.Information;
        context.Feature($"protocol:{(Enum.IsDefined((PppProtocol)frame.Protocol) ? ((PppProtocol)frame.Protocol).ToString() : "other")}");
        switch ((PppProtocol)frame.Protocol)
        {
            case PppProtocol.Lcp or PppProtocol.Ipcp:
                if (!PppControlPacket.TryParse(info, out PppControlPacket packet, out error)) { context.Feature($"control:{error.Field}:{error.Reason}"); return; }
                context.Feature($"code:{packet.Code}");
                if (packet.Code is >= 1 and <= 4)
                {
                    if (!PppOption.TryParseList(packet.Data, out List<PppOption> options, out error)) { context.Feature($"options:{error.Field}:{error.Reason}"); return; }
                    foreach (PppOption o in options)
                    {
                        bool ok = (LcpOptionType)o.Type switch
                        {
                            LcpOptionType.MaximumReceiveUnit => LcpOptions.TryReadMru(o, out _, out error),
                            LcpOptionType.AsyncControlCharacterMap => LcpOptions.TryReadAccm(o, out _, out error),
                            LcpOptionType.MagicNumber => LcpOptions.TryReadMagicNumber(o, out _, out error),
                            LcpOptionType.AuthenticationProtocol => LcpOptions.TryReadAuthenticationProtocol(o, out _, out _, out error),
                            _ => LcpOptions.TryReadFlag(o, out error),
                        };
                        context.Feature($"option:{o.Type}:{ok}:{error.Field}");
                    }
                }
                else if (packet.Code is 9 or 10) context.Feature($"echo:{LcpEchoPacket.TryParse(info, out _, out error)}:{error.Field}");
                else if (packet.Code == 8) context.Feature($"protrej:{LcpProtocolRejectPacket.TryParse(info, out _, out error)}:{error.Field}");
                break;
            case PppProtocol.Chap:
                if (ChapPacket.TryParse(info, out ChapPacket? chap, out error))
                {
                    context.Feature($"chap:{chap!.Code}");
                    context.Feature($"mschapv2:{MsChapV2ResponseValue.TryParse(chap.Value, out _, out error)}:{error.Field}");
                    context.Feature($"success:{Portcullis.Core.Crypto.MsChapV2SuccessMessage.TryParse(chap.Message, out _, out error)}:{error.Field}");
                    context.Feature($"failure:{Portcullis.Core.Crypto.MsChapV2FailureMessage.TryParse(chap.Message, out _, out error)}:{error.Field}");
                }
                else context.Feature($"chap:{error.Field}:{error.Reason}");
                break;
            case PppProtocol.Pap:
                context.Feature($"pap:{PapPacket.TryParse(info, out _, out error)}:{error.Field}:{error.Reason}");
                break;
        }
    }
}

/// <summary><c>eap</c>: EAP packets (RFC 3748) and the EAP-MSCHAPv2 type data inside them.</summary>
internal sealed class EapTarget : IFuzzTarget
{
    public void Run(byte[] input, FuzzContext context)
    {
        if (!EapPacket.TryParse(input, out EapPacket? packet, out ParseError error)) { context.Feature($"eap:{error.Field}:{error.Reason}"); return; }
        context.Feature($"eap:{packet!.Code}:{packet.Type}");
        if (packet.Type == EapType.MsChapV2)
            context.Feature($"mschapv2:{EapMsChapV2Packet.TryParse(packet.Code, packet.TypeData, out _, out error)}:{error.Field}:{error.Reason}");
    }
}
