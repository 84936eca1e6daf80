/**
 * What IBM's services answer on errors, as the emulator answers (research tke-domain §6.1; IBM's SDK
 * `common/submit.go` at e023c2e, whose texts a client adds to the status code; IAM's refusal of an unknown key).
 */
export const TKE_API_TEXTS = {
  http: {
    401: "Unauthorized: Your access token is invalid, expired, or does not have the necessary permissions to access this instance.",
    404: "The service instance or crypto unit could not be found.",
    500: "IBM Hyper Protect Crypto Services is currently unavailable.  Your request could not be processed.  Please try again later.",
  },
  iamRefused: { errorCode: "BXNIM0415E", errorMessage: "Provided API key could not be found." },
} as const;
