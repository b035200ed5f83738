namespace Portcullis.Core.Doctor;

/// <summary>How a check came out.</summary>
public enum DoctorStatus
{
    /// <summary>Fine.</summary>
    Ok,
    /// <summary>May cause trouble; the daemon still runs.</summary>
    Warn,
    /// <summary>A configured connection cannot work like this.</summary>
    Fail,
}

/// <summary>One line of <c>portcullis doctor</c>: status, what was checked, why, and what to do about it.</summary>
public sealed record DoctorCheck(DoctorStatus Status, string Name, string Reason, string? Hint = null)
{
    /// <summary><c>FAIL  udp/500: held by charon (pid 812) — stop strongSwan: systemctl stop strongswan</c>.</summary>
    public override string ToString() =>
        $"{Status.ToString().ToUpperInvariant(),-5} {Name}: {Reason}{(Hint is null || Status == DoctorStatus.Ok ? "" : $" (fix: {Hint})")}";
}
