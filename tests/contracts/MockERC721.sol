// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";

/// @notice OpenZeppelin's ERC-721 with an open safe mint: a token sent to an account (a clone, or an
/// EOA delegated by EIP-7702, which has code) arrives only if the account answers onERC721Received.
contract MockERC721 is ERC721 {
    constructor() ERC721("Mock NFT", "MNFT") {}

    function safeMint(address to, uint256 id) external {
        _safeMint(to, id);
    }
}
