namespace Portcullis.Core.Ikev2.Wire;

/// <summary>Authentication methods (RFC 7296 §3.8, RFC 7427).</summary>
public enum AuthMethod : byte
{
    /// <summary>RSA Digital Signature (PKCS#1 v1.5 with SHA-1).</summary>
    RsaDigitalSignature = 1,
    /// <summary>Shared Key Message Integrity Code.</summary>
    SharedKeyMessageIntegrityCode = 2,
    /// <summary>DSS Digital Signature.</summary>
    DssDigitalSignature = 3,
    /// <summary>ECDSA with SHA-256 on P-256 (RFC 4754).</summary>
    EcdsaSha256P256 = 9,
    /// <summary>ECDSA with SHA-384 on P-384.</summary>
    EcdsaSha384P384 = 10,
    /// <summary>ECDSA with SHA-512 on P-521.</summary>
    EcdsaSha512P521 = 11,
    /// <summary>Digital Signature (RFC 7427).</summary>
    DigitalSignature = 14,
}

/// <summary>
/// Authentication payload (RFC 7296 §3.8):
/// <code>
///  Auth Method (1) | RESERVED (3) | Authentication Data
/// </code>
/// </summary>
public sealed class AuthPayload(AuthMethod method, ReadOnlySpan<byte> data) : Payload
{
    private readonly byte[] _data = data.ToArray();

    /// <inheritdoc />
    public override PayloadType Type => PayloadType.Authentication;

    /// <summary>The method.</summary>
    public AuthMethod Method { get; } = method;

    /// <summary>The authentication data.</summary>
    public ReadOnlySpan<byte> Data => _data;

    /// <inheritdoc />
    public override int BodyLength => 4 + _data.Length;

    /// <inheritdoc />
    public override void WriteBody(Span<byte> destination)
    {
        destination[0] = (byte)Method;
        destination[1] = destination[2] = destination[3] = 0;
        _data.CopyTo(destination[4..]);
    }

    /// <summary>Parses the body.</summary>
    public static bool TryParse(ReadOnlySpan<byte> body, out AuthPayload? payload, out ParseError error)
    {
        payload = null;
        error = default;
        if (body.Length < 5) { error = new("Authentication Data", $"AUTH body of {body.Length} bytes"); return false; }
        payload = new AuthPayload((AuthMethod)body[0], body[4..]);
        return true;
    }
}
