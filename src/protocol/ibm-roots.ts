/**
 * IBM's root keys for the outbound-authentication (OA) certificate chains of its crypto modules: every chain a module
 * presents must end at one of these (P-521 public keys, X and Y as 66-byte hex; the SKI as the chain names the
 * signer). Public facts, recorded from IBM's TKE SDK `github.com/IBM/ibm-hpcs-tke-sdk` at commit e023c2e (release
 * 1.0.3): `ep11cmds/verifyOA2Certificate.go` (`VerifyOA2Certificate`: the CEX6P/4768 and CEX7P/4769 roots) and
 * `ep11cmds/verifyOA3Certificate.go` (`VerifyOA3Certificate`: the CEX8P/4770 root). Each SKI is the first 32 bytes of
 * SHA-512(04 ‖ X ‖ Y) (checked by a test). CEX5P modules (OA certificates of the first format) are not listed: HPCS
 * does not run on them, and a chain in that format is refused.
 */
export interface TrustAnchor {
  readonly name: string;
  /** The certificate format whose chains end here. */
  readonly format: "OA2" | "OA3";
  readonly ski: string;
  readonly x: string;
  readonly y: string;
}

export const IBM_ROOTS: readonly TrustAnchor[] = [
  {
    name: "IBM CEX6P (4768) root",
    format: "OA2",
    ski: "5f4717480b75b8bcbc224c62dfbd7a3b8987e54193d40a1a664fa221e5387123",
    x: "018bd55521ae1d52a07630d04cd1adeb82f22fea54da7ccf5d4e33e0c5ff075519f4d9d902a6800d47dc2c0e5fd4f6ebe63096f37fadf9717b8a679d0fb1d5957cdc",
    y: "0116f34a637240bf0abcef0528cb8eb4cdde17154010d10692c753fdadebcfb452130fa664bc8546c1bd72211297ad0038836a4e55182530d6ccb10ffa2004f7f9cd",
  },
  {
    name: "IBM CEX7P (4769) root",
    format: "OA2",
    ski: "b23884d4dea35eaabab109e0a6c400b2f5bea652f14ab23d2a47220696eb0e6b",
    x: "0112ec7b6c304f2ded0dcbc0d8ec3c43ee2fb377052a46517747bfe5ad35e68f50016644a438cc6c20c4d1b25085eea9c83a99514d9b39b6e3d60f472237ac894d81",
    y: "002b53cdf6a39ca67e258a0e714d6609d7ea3f687aa0b3bf8b69f92e7dcf539792abb8b063be8f9393124c10271d4c569626cb6e8ea79f502670c201848e328041a7",
  },
  {
    name: "IBM CEX8P (4770) root",
    format: "OA3",
    ski: "96c87ef655f67918b4f38c612ed9e492fe152555a63cd5fe2b719ee77b3277f6",
    x: "01b6de79e40847a31b10ed5e2458d70b5acb8f2e3c1a78875a99cdee110cdd27020174485b0e71deb3668e574181443eb3801d0d2060b90ce8f2c09bf0fb346c3657",
    y: "018f9caef6a395b32b03f3327993f55b96e0a3c5fab1dc640e033ceaede78b41d27400f611494f227c5695abd40d8facdbb30a0a4a63e62bb2867805e85768cbcd33",
  },
];
