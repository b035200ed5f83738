namespace Portcullis.Core.Eap;

/// <summary>How an <see cref="EapServer"/> authenticates one client.</summary>
public sealed record EapServerOptions
{
    /// <summary>The EAP method; only <see cref="EapType.MsChapV2"/> for now.</summary>
    public EapType Method { get; init; } = EapType.MsChapV2;

    /// <summary>
    /// Start with an EAP-Identity request (strongSwan does when <c>eap_id = %any</c>, which Windows clients need as
    /// their IDi is an address). When false the method starts at once and <see cref="InitialIdentity"/> stands for the
    /// client until the method names the user.
    /// </summary>
    public bool AskIdentity { get; init; } = true;

    /// <summary>The client's identity when it is not asked: the IKE IDi as text, as strongSwan uses it.</summary>
    public string? InitialIdentity { get; init; }

    /// <summary>
    /// The secret configured for an EAP identity (the bytes of <c>secrets.eap-*.secret</c>), or null for an unknown
    /// user. The server reads the array and never changes it (it may be the configuration's own).
    /// </summary>
    public required Func<string, byte[]?> FindPassword { get; init; }

    /// <summary>The authenticator's Name in the MS-CHAPv2 Challenge.</summary>
    public string ServerName { get; init; } = "Portcullis";

    /// <summary>The human-readable part of the MS-CHAPv2 Success message (<c>M=</c>).</summary>
    public string SuccessText { get; init; } = "Welcome to Portcullis";

    /// <summary>Fills a span with random bytes (identifiers, challenges); null: the system's CSPRNG.</summary>
    public Action<Span<byte>>? Random { get; init; }

    /// <summary>
    /// Invalid responses (garbage, wrong Identifier, wrong type) the server discards and answers by repeating its
    /// Request before it gives up with EAP-Failure.
    /// </summary>
    public int MaxDiscardedResponses { get; init; } = 3;
}
