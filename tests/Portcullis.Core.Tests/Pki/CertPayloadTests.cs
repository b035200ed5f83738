using Portcullis.Core.Ikev2.Wire;

namespace Portcullis.Core.Tests.Pki;

/// <summary>CERT and CERTREQ payloads (RFC 7296 §3.6, §3.7): round trips through a payload chain, and refusals of truncated input.</summary>
public class CertPayloadTests
{
    private static byte[] Chain(params Payload[] payloads)
    {
        var bytes = new byte[Payload.ChainLength(payloads)];
        Payload.WriteChain(payloads, bytes);
        return bytes;
    }

    private static List<Payload> Parse(PayloadType first, byte[] bytes)
    {
        var payloads = new List<Payload>();
        Assert.True(Payload.TryParseChain(first, bytes, payloads, out _, out PayloadType? critical, out ParseError error), error.ToString());
        Assert.Null(critical);
        return payloads;
    }

    [Fact]
    public void Cert_payload_round_trips_with_its_encoding_byte()
    {
        Issued root = TestPki.Root("C=CH, O=Portcullis Test, CN=Root CA");
        var cert = CertPayload.X509(root.Cert.RawData);
        byte[] bytes = Chain(cert);
        // Generic header, then Cert Encoding 4 and the DER certificate.
        Assert.Equal(4 + 1 + root.Cert.RawData.Length, bytes.Length);
        Assert.Equal(4, bytes[4]);
        Assert.Equal(root.Cert.RawData, bytes[5..]);

        var parsed = Assert.IsType<CertPayload>(Assert.Single(Parse(PayloadType.Certificate, bytes)));
        Assert.Equal(CertEncoding.X509Signature, parsed.Encoding);
        Assert.Equal(root.Cert.RawData, parsed.Data.ToArray());
        Assert.Equal(bytes, Chain(parsed));
    }

    [Fact]
    public void Cert_payload_keeps_an_encoding_it_does_not_know()
    {
        byte[] bytes = Chain(new CertPayload((CertEncoding)201, [1, 2, 3]), new CertPayload(CertEncoding.HashAndUrlX509, "http://x/"u8));
        List<Payload> parsed = Parse(PayloadType.Certificate, bytes);
        Assert.Equal((CertEncoding)201, ((CertPayload)parsed[0]).Encoding);
        Assert.Equal([1, 2, 3], ((CertPayload)parsed[0]).Data.ToArray());
        Assert.Equal(CertEncoding.HashAndUrlX509, ((CertPayload)parsed[1]).Encoding);
    }

    [Fact]
    public void Certreq_payload_round_trips_its_hashes()
    {
        byte[] a = Enumerable.Range(0, 20).Select(i => (byte)i).ToArray(), b = Enumerable.Repeat((byte)0xee, 20).ToArray();
        var req = CertReqPayload.X509([a, b]);
        byte[] bytes = Chain(req);
        Assert.Equal(4 + 1 + 40, bytes.Length);
        var parsed = Assert.IsType<CertReqPayload>(Assert.Single(Parse(PayloadType.CertificateRequest, bytes)));
        Assert.Equal(CertEncoding.X509Signature, parsed.Encoding);
        IReadOnlyList<byte[]> hashes = parsed.CaHashes();
        Assert.Equal(2, hashes.Count);
        Assert.Equal(a, hashes[0]);
        Assert.Equal(b, hashes[1]);
        Assert.Equal(bytes, Chain(parsed));
        Assert.Throws<ArgumentException>(() => CertReqPayload.X509([new byte[19]]));
    }

    [Fact]
    public void Certreq_with_an_empty_list_is_accepted()
    {
        var parsed = Assert.IsType<CertReqPayload>(Assert.Single(Parse(PayloadType.CertificateRequest, Chain(CertReqPayload.X509([])))));
        Assert.Empty(parsed.CaHashes());
        Assert.Equal(0, parsed.CertificationAuthority.Length);
    }

    [Fact]
    public void Certreq_of_another_encoding_has_no_hashes_but_is_kept()
    {
        var parsed = Assert.IsType<CertReqPayload>(Assert.Single(Parse(PayloadType.CertificateRequest, Chain(new CertReqPayload(CertEncoding.Pgp, [1, 2, 3])))));
        Assert.Equal(CertEncoding.Pgp, parsed.Encoding);
        Assert.Empty(parsed.CaHashes());
    }

    [Theory]
    [InlineData(PayloadType.Certificate, "", "Cert Encoding")]
    [InlineData(PayloadType.CertificateRequest, "", "Cert Encoding")]
    [InlineData(PayloadType.CertificateRequest, "04 0102030405060708090a0b0c0d0e0f10111213", "Certification Authority")]
    [InlineData(PayloadType.CertificateRequest, "04 0102030405060708090a0b0c0d0e0f1011121314 15", "Certification Authority")]
    public void Truncated_bodies_are_a_ParseError_naming_the_field(PayloadType type, string bodyHex, string field)
    {
        byte[] body = Convert.FromHexString(bodyHex.Replace(" ", ""));
        byte[] bytes = [0, 0, 0, (byte)(4 + body.Length), .. body];
        var payloads = new List<Payload>();
        Assert.False(Payload.TryParseChain(type, bytes, payloads, out _, out _, out ParseError error));
        Assert.Equal(field, error.Field);
    }

    [Fact]
    public void A_payload_length_past_the_buffer_is_refused_before_the_body_is_read()
    {
        byte[] bytes = Chain(CertPayload.X509(new byte[50]));
        var payloads = new List<Payload>();
        for (int cut = 1; cut < bytes.Length; cut++)
            Assert.False(Payload.TryParseChain(PayloadType.Certificate, bytes[..cut], payloads, out _, out _, out _), $"cut at {cut}");
    }
}
