using System.Security.Cryptography;
using System.Text;
using Portcullis.Core.Crypto;
using Portcullis.Core.Eap;
using Portcullis.Core.Ikev2.Wire;

namespace Portcullis.Core.Ppp;

/// <summary>Where an authentication exchange stands after a packet or a timeout.</summary>
internal enum AuthStep { Pending, Succeeded, Failed }

/// <summary>
/// The authenticator's side of the Authentication phase (the gateway): PAP (RFC 1334), CHAP with MD5 (RFC 1994) and
/// MS-CHAPv2 (RFC 2759), users looked up through <see cref="PppOptions.FindPassword"/>.
/// <para>
/// CHAP Challenges are repeated every Restart interval until a Response comes, Max-Configure times. A wrong password
/// ends it: MS-CHAPv2 says <c>E=691 R=0</c> (no retry for a client to guess with), and the session closes the link.
/// An unknown user gets the same answer as a wrong password; only the log tells them apart. A repeated Response
/// (or PAP Authenticate-Request) with the Identifier already answered gets the same answer again, since ours may
/// have been lost (RFC 1994 §4.2).
/// </para>
/// </summary>
internal sealed class PppAuthenticator : IDisposable
{
    private readonly PppContext _context;
    private readonly byte[] _challenge = new byte[MsChapV2.ChallengeLength];
    private byte _identifier;
    private int _challengesSent;
    private DateTimeOffset _giveUpAt;
    private byte[]? _answer;
    private AuthStep _step = AuthStep.Pending;

    public PppAuthenticator(PppContext context, PppAuthenticationProtocol protocol)
    {
        _context = context;
        Protocol = protocol;
    }

    public PppAuthenticationProtocol Protocol { get; }

    /// <summary>The name the peer gave (and its password was checked for).</summary>
    public string? User { get; private set; }

    /// <summary>Why authentication failed.</summary>
    public string FailureReason { get; private set; } = "";

    /// <summary>When <see cref="Timeout"/> has work to do; null once decided.</summary>
    public DateTimeOffset? Deadline { get; private set; }

    public void Start(DateTimeOffset now)
    {
        _giveUpAt = now + _context.Options.AuthenticationTimeout;
        if (Protocol == PppAuthenticationProtocol.Pap)
        {
            // The peer speaks first in PAP; we only wait.
            Deadline = _giveUpAt;
            return;
        }
        Span<byte> first = stackalloc byte[1];
        _context.Random(first);
        _identifier = first[0];
        _context.Random(_challenge);
        SendChallenge(now);
    }

    private void SendChallenge(DateTimeOffset now)
    {
        _challengesSent++;
        _context.Send((ushort)PppProtocol.Chap, ChapPacket.Challenge(_identifier, _challenge, Encoding.UTF8.GetBytes(_context.Options.ServerName)).ToArray());
        DateTimeOffset next = now + _context.Options.RestartInterval;
        Deadline = next < _giveUpAt ? next : _giveUpAt;
    }

    public AuthStep Timeout(DateTimeOffset now)
    {
        if (_step != AuthStep.Pending || Deadline is not DateTimeOffset due || now < due) return AuthStep.Pending;
        if (now >= _giveUpAt)
            return Fail($"no {Protocol.Name()} {(Protocol == PppAuthenticationProtocol.Pap ? "Authenticate-Request" : "Response")} within {_context.Options.AuthenticationTimeout.TotalSeconds:0} s");
        if (_challengesSent >= _context.Options.MaxConfigure)
            return Fail($"peer did not answer {_challengesSent} {Protocol.Name()} Challenges");
        SendChallenge(now);
        return AuthStep.Pending;
    }

    /// <summary>A PAP or CHAP packet from the peer.</summary>
    public AuthStep Receive(DateTimeOffset now, ushort protocol, ReadOnlySpan<byte> information)
    {
        if (protocol != Protocol.CarriedBy())
        {
            PppLog.Discarded(_context.Logger, _context.Name, PppProtocolNames.Of(protocol), "packet", $"{Protocol.Name()} was negotiated");
            return AuthStep.Pending;
        }
        return Protocol == PppAuthenticationProtocol.Pap ? ReceivePap(information) : ReceiveChap(information);
    }

    private AuthStep ReceivePap(ReadOnlySpan<byte> information)
    {
        if (!PapPacket.TryParse(information, out PapPacket? packet, out ParseError error))
        {
            PppLog.BadPacket(_context.Logger, _context.Name, "PAP", error.ToString());
            return AuthStep.Pending;
        }
        try
        {
            if (packet!.Code != PapCode.AuthenticateRequest)
            {
                PppLog.Discarded(_context.Logger, _context.Name, "PAP", packet.Code.ToString(), "only the authenticator sends it");
                return AuthStep.Pending;
            }
            if (_step != AuthStep.Pending)
            {
                if (_answer is not null && packet.Identifier == _identifier) _context.Send((ushort)PppProtocol.Pap, _answer);
                return AuthStep.Pending;
            }
            _identifier = packet.Identifier;
            string user = Encoding.UTF8.GetString(packet.PeerId);
            User = user;
            byte[]? secret = _context.Options.FindPassword?.Invoke(user);
            bool good = secret is not null && SecretEquals(secret, packet.Password);
            if (good)
            {
                _answer = PapPacket.AuthenticateAck(_identifier, Encoding.UTF8.GetBytes(_context.Options.SuccessText)).ToArray();
                _context.Send((ushort)PppProtocol.Pap, _answer);
                return Succeed();
            }
            _answer = PapPacket.AuthenticateNak(_identifier, "Authentication failed"u8).ToArray();
            _context.Send((ushort)PppProtocol.Pap, _answer);
            return Fail(secret is null ? $"unknown PPP user '{Printable(user)}' (PAP)" : $"PAP password of '{Printable(user)}' is wrong");
        }
        finally
        {
            packet!.Wipe();
        }
    }

    private AuthStep ReceiveChap(ReadOnlySpan<byte> information)
    {
        if (!ChapPacket.TryParse(information, out ChapPacket? packet, out ParseError error))
        {
            PppLog.BadPacket(_context.Logger, _context.Name, "CHAP", error.ToString());
            return AuthStep.Pending;
        }
        if (packet!.Code != ChapCode.Response)
        {
            PppLog.Discarded(_context.Logger, _context.Name, "CHAP", packet.Code.ToString(), "not expected by the authenticator");
            return AuthStep.Pending;
        }
        if (packet.Identifier != _identifier)
        {
            PppLog.Discarded(_context.Logger, _context.Name, "CHAP", "Response", $"Identifier {packet.Identifier}, our Challenge has {_identifier}");
            return AuthStep.Pending;
        }
        if (_step != AuthStep.Pending)
        {
            if (_answer is not null) _context.Send((ushort)PppProtocol.Chap, _answer);
            return AuthStep.Pending;
        }
        string user = Encoding.UTF8.GetString(packet.Name);
        User = user;
        return Protocol == PppAuthenticationProtocol.MsChapV2 ? CheckMsChapV2(packet, user) : CheckChapMd5(packet, user);
    }

    private AuthStep CheckChapMd5(ChapPacket packet, string user)
    {
        byte[]? secret = _context.Options.FindPassword?.Invoke(user);
        bool good = false;
        if (secret is not null)
        {
            byte[] expected = ChapMd5.Response(_identifier, secret, _challenge);
            good = CryptographicOperations.FixedTimeEquals(expected, packet.Value);
            CryptographicOperations.ZeroMemory(expected);
        }
        if (good)
        {
            _answer = ChapPacket.Success(_identifier, Encoding.UTF8.GetBytes(_context.Options.SuccessText)).ToArray();
            _context.Send((ushort)PppProtocol.Chap, _answer);
            return Succeed();
        }
        _answer = ChapPacket.Failure(_identifier, "Authentication failed"u8).ToArray();
        _context.Send((ushort)PppProtocol.Chap, _answer);
        return Fail(secret is null ? $"unknown PPP user '{Printable(user)}' (CHAP-MD5)" : $"CHAP-MD5 response of '{Printable(user)}' is wrong (bad password?)");
    }

    private AuthStep CheckMsChapV2(ChapPacket packet, string user)
    {
        if (!MsChapV2ResponseValue.TryParse(packet.Value, out MsChapV2ResponseValue value, out ParseError error))
            return FailMsChapV2($"malformed MS-CHAPv2 Response from '{Printable(user)}': {error}");
        byte[]? secret = _context.Options.FindPassword?.Invoke(user);
        if (secret is null) return FailMsChapV2($"unknown PPP user '{Printable(user)}' (MS-CHAPv2)");

        ReadOnlySpan<byte> userName = WithoutDomain(packet.Name);
        byte[] passwordHash = EapMsChapV2Keys.NtPasswordHashOfSecret(secret);
        byte[]? expected = null;
        try
        {
            expected = MsChapV2.GenerateNtResponse(_challenge, value.PeerChallenge, userName, passwordHash);
            if (!CryptographicOperations.FixedTimeEquals(expected, value.NtResponse))
                return FailMsChapV2($"MS-CHAPv2 response of '{Printable(user)}' is wrong (bad password?)");
            byte[] proof = MsChapV2.AuthenticatorResponse(passwordHash, expected, value.PeerChallenge, _challenge, userName);
            string text = new MsChapV2SuccessMessage("S=" + Convert.ToHexString(proof), _context.Options.SuccessText).Format();
            _answer = ChapPacket.Success(_identifier, Encoding.UTF8.GetBytes(text)).ToArray();
            _context.Send((ushort)PppProtocol.Chap, _answer);
            return Succeed();
        }
        finally
        {
            CryptographicOperations.ZeroMemory(passwordHash);
            if (expected is not null) CryptographicOperations.ZeroMemory(expected);
        }
    }

    private AuthStep FailMsChapV2(string reason)
    {
        // R=0: no second try; C= is a fresh challenge all the same, as RFC 2759 §6 lays the message out.
        var fresh = new byte[MsChapV2.ChallengeLength];
        _context.Random(fresh);
        string text = new MsChapV2FailureMessage(MsChapV2FailureMessage.AuthenticationFailure, false, fresh, 3, "Authentication failed").Format();
        _answer = ChapPacket.Failure(_identifier, Encoding.ASCII.GetBytes(text)).ToArray();
        _context.Send((ushort)PppProtocol.Chap, _answer);
        return Fail($"{reason} — E={MsChapV2FailureMessage.AuthenticationFailure}");
    }

    private AuthStep Succeed()
    {
        _step = AuthStep.Succeeded;
        Deadline = null;
        return _step;
    }

    private AuthStep Fail(string reason)
    {
        _step = AuthStep.Failed;
        FailureReason = reason;
        Deadline = null;
        return _step;
    }

    // Digests first, so that neither the comparison's time nor its early exit tells the password's length.
    private static bool SecretEquals(ReadOnlySpan<byte> secret, ReadOnlySpan<byte> offered)
    {
        Span<byte> a = stackalloc byte[32];
        Span<byte> b = stackalloc byte[32];
        SHA256.HashData(secret, a);
        SHA256.HashData(offered, b);
        bool equal = CryptographicOperations.FixedTimeEquals(a, b);
        CryptographicOperations.ZeroMemory(a);
        CryptographicOperations.ZeroMemory(b);
        return equal;
    }

    // RFC 2759 §4: only the part after DOMAIN\ enters the challenge hash.
    internal static ReadOnlySpan<byte> WithoutDomain(ReadOnlySpan<byte> name)
    {
        int backslash = name.IndexOf((byte)'\\');
        return backslash < 0 ? name : name[(backslash + 1)..];
    }

    internal static string Printable(string? text) => EapServer.Printable(text);

    public void Dispose() => CryptographicOperations.ZeroMemory(_challenge);
}

/// <summary>CHAP with MD5 (RFC 1994 §2): Response Value = MD5(Identifier | secret | Challenge).</summary>
internal static class ChapMd5
{
    public static byte[] Response(byte identifier, ReadOnlySpan<byte> secret, ReadOnlySpan<byte> challenge)
    {
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        md5.AppendData([identifier]);
        md5.AppendData(secret);
        md5.AppendData(challenge);
        return md5.GetHashAndReset();
    }
}
